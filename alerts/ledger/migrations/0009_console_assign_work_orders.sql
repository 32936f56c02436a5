-- The duty console, phase 2 (issue 11.6, issue 11 brief item 5): who an incident is assigned
-- to (一键派单), which stations the ladder paged (mutual aid sees the incident it was called
-- to), and who acknowledged or closed a maintenance work order (维保) from the console.
-- Columns only added, so a ledger of 0008 reads as before; the first start after it
-- re-baselines the audit chain on the widened rows (an `adopt` entry, alerts/ledger/audit.py).
ALTER TABLE incidents ADD COLUMN assignee TEXT;
ALTER TABLE incidents ADD COLUMN paged_stations TEXT NOT NULL DEFAULT '[]';
ALTER TABLE work_orders ADD COLUMN acknowledged_at DOUBLE PRECISION;
ALTER TABLE work_orders ADD COLUMN acknowledged_by TEXT;
ALTER TABLE work_orders ADD COLUMN done_by TEXT;
