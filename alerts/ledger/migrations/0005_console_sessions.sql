-- Duty-console sessions (alerts/console/sessions.py): they survive a restart of dispatch and
-- expire (issue 11.9). Only a SHA-256 of the cookie's token is kept, so a copy of the database
-- opens no session.
CREATE TABLE console_sessions (
    token_sha256 TEXT PRIMARY KEY,
    member_id TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
CREATE INDEX console_sessions_member ON console_sessions (member_id)
