"""`firewatch eval --per-device`: every device of a dataset recording scored (issue #14.6).

One row per heat/smoke device: whether the fire reached it, the latency of its first fire
alarm after the onset, its alarms before the onset; then the median (simulators.device_scoring).
The alerts come from a file, from Kafka after a replay (`--start-at` names the replay's t = 0),
or from the stream worker's detectors run here in device time (`--in-process`).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from firewatch.commands.failures import Failed, UsageError

if TYPE_CHECKING:
    from events.alerts import Alert
    from simulators.recording import Record
    from simulators.truth import GroundTruth


def run(cli: Any, opts: dict[str, Any], truth: GroundTruth, readings_t0: datetime) -> int:
    """Exit 0 when every reached device was detected and none alarmed before the onset."""
    from firewatch.commands.eval import load_alerts
    from firewatch.commands.replay import load_records
    from simulators import device_scoring
    from simulators.window import split

    if not opts["recording"]:
        raise UsageError("--per-device scores a dataset recording: give --recording")
    records = load_records(opts["recording"])
    if opts["in_process"]:
        alerts = _in_process(records)
    else:
        alerts, _outside = split(load_alerts(cli, opts), truth)
    table = device_scoring.score_recording(records, truth, alerts, readings_start_at=readings_t0)
    if opts["as_json"]:
        print(json.dumps(device_scoring.to_json(table), indent=2, ensure_ascii=False))
    else:
        print(device_scoring.render_table(table), end="")
    if table.missed or table.false_alarms:
        raise Failed(f"{table.name}: {len(table.missed)} missed, {table.false_alarms} false")
    return 0


def _in_process(records: list[Record]) -> list[Alert]:
    from firewatch.detection_eval import engine_alerts

    return engine_alerts(records)
