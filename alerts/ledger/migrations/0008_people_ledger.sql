-- One ledger, one maintenance queue (issue 18 item 4): the people side's maintenance items
-- (a missed patrol round, an outbound feed that keeps failing; migration 0006) become work
-- orders (维保, migration 0007) beside the devices' ones, and the table goes. Their kind names
-- what they are (missed_round | feed_failing); condition_key names the round or the feed;
-- an item of no one compound (a feed) has compound_id '*'. Dispatch restores only orders of
-- device kinds (alerts/ledger/queries.py). The first start after it re-baselines the audit
-- chain (an `adopt` entry): the hazard desk's and the feeds' tables are audited from then on.
INSERT INTO work_orders (order_id, condition_key, kind, compound_id, building_id, device_id,
    gateway_id, summary, opened_at, raised_at, due_at, revision, state, done_at, occurrences)
SELECT item_id, subject, kind, COALESCE(compound_id, '*'), NULL, NULL, NULL, detail,
    opened_at, opened_at, due_at, 1,
    CASE WHEN closed_at IS NULL THEN 'open' ELSE 'done' END, closed_at, 1
FROM maintenance_items;
DROP TABLE maintenance_items
