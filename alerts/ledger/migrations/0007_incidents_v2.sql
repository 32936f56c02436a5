-- Incidents v2 (issue 10): one incident per physical event in one place, with the conditions
-- (evidence) that joined it and its linkage tasks; maintenance work orders (维保) apart from
-- duty. The v1 table stays as incidents_v1 (GB 50440: alarm records kept >= 1 year) and its
-- rows are copied into the new one, each with its one condition, so history reads as one.
-- Numbered 0007, not 0003: released ledgers recorded 3 as the placeholder
-- 0003_reserved_incidents (docs/UPGRADING.md). The first start after it re-baselines the audit
-- chain on the new tables (an `adopt` entry, alerts/ledger/audit.py).
ALTER TABLE incidents RENAME TO incidents_v1;
CREATE TABLE incidents (
    incident_key TEXT PRIMARY KEY,
    compound_id TEXT NOT NULL,
    -- events.incidents.PlaceScope: building | area | device
    place_scope TEXT NOT NULL,
    place_id TEXT NOT NULL,
    building_id TEXT,
    severity TEXT NOT NULL,
    state TEXT NOT NULL,
    title TEXT NOT NULL,
    -- updates published on fw.incidents.v2 so far
    seq INTEGER NOT NULL,
    station_id TEXT,
    -- events.incidents.DispatchReason, and the same in words with every candidate
    dispatch_reason TEXT NOT NULL,
    dispatch_text TEXT NOT NULL,
    opened_at DOUBLE PRECISION NOT NULL,
    raised_at DOUBLE PRECISION NOT NULL,
    severity_since DOUBLE PRECISION,
    acknowledged_at DOUBLE PRECISION,
    on_scene_at DOUBLE PRECISION,
    resolved_at DOUBLE PRECISION,
    assessment TEXT,
    outcome TEXT,
    false_alarm_cause TEXT,
    is_muted INTEGER NOT NULL,
    reopened INTEGER NOT NULL,
    fired_steps TEXT NOT NULL,
    delivery_failures INTEGER NOT NULL,
    next_due_at DOUBLE PRECISION
);
CREATE INDEX incident_state_idx ON incidents (state);
CREATE INDEX incident_place_idx ON incidents (compound_id, place_scope, place_id);
CREATE INDEX incident_opened_idx ON incidents (opened_at);
CREATE INDEX incident_resolved_idx ON incidents (resolved_at);
CREATE TABLE incident_conditions (
    incident_key TEXT NOT NULL,
    condition_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    revision INTEGER NOT NULL,
    raised_at DOUBLE PRECISION NOT NULL,
    summary TEXT NOT NULL,
    device_id TEXT,
    area_id TEXT,
    gateway_id TEXT,
    -- JSON list: the alarm devices behind it (GB 50116 §4.1.6)
    sources TEXT NOT NULL,
    PRIMARY KEY (incident_key, condition_key)
);
CREATE INDEX incident_condition_key_idx ON incident_conditions (condition_key);
CREATE TABLE incident_tasks (
    incident_key TEXT NOT NULL,
    task_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    device_id TEXT NOT NULL,
    gateway_id TEXT NOT NULL,
    -- events.incidents.TaskState
    state TEXT NOT NULL,
    detail TEXT NOT NULL,
    command_id TEXT,
    updated_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (incident_key, task_key)
);
CREATE TABLE work_orders (
    order_id TEXT PRIMARY KEY,
    condition_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    compound_id TEXT NOT NULL,
    building_id TEXT,
    device_id TEXT,
    gateway_id TEXT,
    summary TEXT NOT NULL,
    opened_at DOUBLE PRECISION NOT NULL,
    raised_at DOUBLE PRECISION NOT NULL,
    due_at DOUBLE PRECISION NOT NULL,
    revision INTEGER NOT NULL,
    state TEXT NOT NULL,
    done_at DOUBLE PRECISION,
    occurrences INTEGER NOT NULL
);
CREATE INDEX work_order_state_idx ON work_orders (state);
CREATE INDEX work_order_condition_idx ON work_orders (condition_key);
INSERT INTO incidents (incident_key, compound_id, place_scope, place_id, building_id, severity,
    state, title, seq, station_id, dispatch_reason, dispatch_text, opened_at, raised_at,
    severity_since, acknowledged_at, on_scene_at, resolved_at, assessment, outcome,
    false_alarm_cause, is_muted, reopened, fired_steps, delivery_failures, next_due_at)
SELECT incident_key, compound_id,
    CASE WHEN building_id IS NULL THEN 'device' ELSE 'building' END,
    COALESCE(building_id, device_id, alert_key), building_id, severity, state,
    kind || ': ' || summary, 0, station_id, 'unrecorded', dispatch_reason, opened_at, opened_at,
    opened_at, acknowledged_at, on_scene_at, resolved_at, assessment, outcome,
    false_alarm_cause, is_muted, 0, fired_steps, delivery_failures, next_due_at
FROM incidents_v1;
INSERT INTO incident_conditions (incident_key, condition_key, kind, severity, status, revision,
    raised_at, summary, device_id, area_id, gateway_id, sources)
SELECT incident_key, alert_key, kind, severity, 'raised', revision, opened_at, summary,
    device_id, NULL, NULL, confirmations
FROM incidents_v1
