"""The message sizes quoted in docs/OPERATIONS.md are the ones the encoders produce today."""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from pathlib import Path

from events.codec import encode_model, kafka_headers
from streams.telemetry.templates import to_line
from tests.telemetry.scenario import compound_telemetry

DOC = Path(__file__).resolve().parents[2] / "docs" / "OPERATIONS.md"


def test_sizing_table_matches_the_encoded_models() -> None:
    readings = compound_telemetry(seed=42, seconds=3600)
    text = DOC.read_text()
    assert f"seed 42, {len(readings):,} readings" in text
    json_sizes: dict[str, list[int]] = defaultdict(list)
    line_sizes: dict[str, list[int]] = defaultdict(list)
    for reading in readings:
        json_sizes[reading.kind].append(len(encode_model(reading)))
        line_sizes[reading.kind].append(len(to_line(reading)))
    rows = dict(
        (kind, (int(j), int(lp)))
        for kind, j, lp in re.findall(r"^\| (\w+) \| (\d+) \| (\d+) \|$", text, re.MULTILINE)
    )
    assert len(rows) == 5
    for kind, (json_bytes, line_bytes) in rows.items():
        assert round(statistics.mean(json_sizes[kind])) == json_bytes, kind
        assert round(statistics.mean(line_sizes[kind])) == line_bytes, kind
    everything = [len(encode_model(r)) for r in readings]
    assert f"| mix of the scenario | {round(statistics.mean(everything))} |" in text
    headers = kafka_headers("charging_port", "port-12:123456", "ingest-1")
    assert abs(sum(len(k) + len(v) for k, v in headers) - 63) <= 10
