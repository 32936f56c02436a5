-- The audit chain covers every ledger table and is signed (alerts/ledger/audit.py, issue 12.5).
-- row_images: JSON list of [table, primary key, row digest or null] the entry wrote; key_id
-- and mac: the HMAC of the entry's hash under the keyring the database host does not hold.
-- Entries from before this migration keep NULLs and their original hash; the first start
-- after it appends an `adopt` entry with the digest of every existing row.
ALTER TABLE audit_log ADD COLUMN row_images TEXT;
ALTER TABLE audit_log ADD COLUMN key_id TEXT;
ALTER TABLE audit_log ADD COLUMN mac TEXT
