-- People as sensors (issue 18, alerts/hazards/store.py, alerts/feeds/store.py): hazards and
-- their rectification loop, the reports that opened them, patrol check-ins, maintenance items
-- (missed rounds, failing feeds) and the outbound feeds' delivery ledger.
-- Times are seconds since the epoch (UTC) as DOUBLE PRECISION, like 0001.
CREATE TABLE hazards (
    hazard_id TEXT PRIMARY KEY,
    -- changes so far (events.hazards.HazardUpdate.seq), and the last one Kafka acknowledged on
    -- fw.hazards.v1: a restart republishes the hazards whose last change was not
    seq INTEGER NOT NULL,
    published_seq INTEGER NOT NULL,
    state TEXT NOT NULL,
    category TEXT NOT NULL,
    severity TEXT,
    compound_id TEXT NOT NULL,
    street_id TEXT,
    building_id TEXT,
    floor INTEGER,
    unit TEXT,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    owner_kind TEXT,
    owner_name TEXT,
    owner_department TEXT,
    assignee TEXT,
    deadline_at DOUBLE PRECISION,
    escalation TEXT NOT NULL,
    whistled_department TEXT,
    found_at DOUBLE PRECISION NOT NULL,
    rectified_at DOUBLE PRECISION,
    rectified_by TEXT,
    closed_at DOUBLE PRECISION,
    -- JSON: events.reports.ReporterContact, only when the reporter consented
    reporter_contact TEXT,
    -- JSON lists
    report_ids TEXT NOT NULL,
    photo_ids TEXT NOT NULL,
    -- the next escalation due (NULL: none pending), read by the timer after a restart
    next_due_at DOUBLE PRECISION
);
CREATE INDEX hazards_state ON hazards (state);
CREATE INDEX hazards_compound_found ON hazards (compound_id, found_at);
CREATE INDEX hazards_next_due ON hazards (next_due_at);
CREATE TABLE hazard_transitions (
    hazard_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    actor TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    source TEXT NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (hazard_id, seq)
);
CREATE TABLE hazard_reports (
    report_id TEXT PRIMARY KEY,
    hazard_id TEXT NOT NULL,
    source TEXT NOT NULL,
    category TEXT NOT NULL,
    compound_id TEXT NOT NULL,
    reported_at DOUBLE PRECISION NOT NULL,
    received_at DOUBLE PRECISION NOT NULL,
    -- the report as it came off fw.reports.v1 (JSON)
    body TEXT NOT NULL
);
CREATE INDEX hazard_reports_hazard ON hazard_reports (hazard_id);
CREATE TABLE patrol_checkins (
    checkin_id TEXT PRIMARY KEY,
    round_id TEXT NOT NULL,
    checkpoint_id TEXT NOT NULL,
    compound_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    is_ok INTEGER NOT NULL,
    finding_report_id TEXT,
    note TEXT NOT NULL,
    received_via TEXT NOT NULL
);
CREATE INDEX patrol_checkins_round_at ON patrol_checkins (round_id, at);
CREATE INDEX patrol_checkins_compound_at ON patrol_checkins (compound_id, at);
CREATE TABLE maintenance_items (
    item_id TEXT PRIMARY KEY,
    -- missed_round | feed_failing
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    compound_id TEXT,
    opened_at DOUBLE PRECISION NOT NULL,
    due_at DOUBLE PRECISION NOT NULL,
    closed_at DOUBLE PRECISION,
    detail TEXT NOT NULL
);
CREATE INDEX maintenance_items_open ON maintenance_items (closed_at);
CREATE TABLE feed_deliveries (
    feed_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    item_kind TEXT NOT NULL,
    compound_id TEXT NOT NULL,
    -- delivered | retrying (kept with its body and tried again at next_at: nothing is lost)
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    first_at DOUBLE PRECISION NOT NULL,
    last_at DOUBLE PRECISION NOT NULL,
    next_at DOUBLE PRECISION,
    detail TEXT NOT NULL,
    -- the projected JSON as sent (the recipient's field set), for the retries
    body TEXT NOT NULL,
    PRIMARY KEY (feed_id, event_id)
);
CREATE INDEX feed_deliveries_due ON feed_deliveries (state, next_at)
