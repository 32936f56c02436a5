-- Append-only audit log with a hash chain (alerts/ledger/audit.py). audit_anchor holds the
-- chain's base (hash of the last purged entry, id 0) and head (last appended entry, id 1),
-- so deleting the first or the last rows is detected too.
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at DOUBLE PRECISION NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE audit_anchor (
    id INTEGER PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
)
