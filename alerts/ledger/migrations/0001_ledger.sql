-- The ledger (台账): incidents, their transitions, pages sent, linkage commands.
-- Times are seconds since the epoch (UTC) as DOUBLE PRECISION: portable SQLite/PostgreSQL.
CREATE TABLE incidents (
    incident_key TEXT PRIMARY KEY,
    -- the alert's incident key; a re-raise after resolution opens KEY~2, KEY~3, ...
    alert_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    state TEXT NOT NULL,
    compound_id TEXT NOT NULL,
    building_id TEXT,
    device_id TEXT,
    station_id TEXT,
    summary TEXT NOT NULL,
    dispatch_reason TEXT NOT NULL,
    revision INTEGER NOT NULL,
    opened_at DOUBLE PRECISION NOT NULL,
    acknowledged_at DOUBLE PRECISION,
    on_scene_at DOUBLE PRECISION,
    resolved_at DOUBLE PRECISION,
    assessment TEXT,
    outcome TEXT,
    false_alarm_cause TEXT,
    is_muted INTEGER NOT NULL,
    confirmations TEXT NOT NULL,
    fired_steps TEXT NOT NULL,
    delivery_failures INTEGER NOT NULL,
    next_due_at DOUBLE PRECISION
);
CREATE INDEX incidents_state ON incidents (state);
CREATE INDEX incidents_alert_key ON incidents (alert_key);
CREATE INDEX incidents_opened ON incidents (opened_at);
CREATE TABLE transitions (
    id BIGINT PRIMARY KEY,
    incident_key TEXT NOT NULL,
    action TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    actor TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    source TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX transitions_incident ON transitions (incident_key);
CREATE TABLE notifications (
    incident_key TEXT NOT NULL,
    step_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    channel TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    is_ok INTEGER NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (incident_key, step_id, recipient, channel)
);
CREATE TABLE commands (
    command_id TEXT PRIMARY KEY,
    incident_key TEXT NOT NULL,
    action TEXT NOT NULL,
    compound_id TEXT NOT NULL,
    gateway_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    issued_at DOUBLE PRECISION NOT NULL,
    deadline_at DOUBLE PRECISION NOT NULL,
    confirmed_at DOUBLE PRECISION,
    state TEXT NOT NULL
);
CREATE INDEX commands_state ON commands (state)
