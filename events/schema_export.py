"""JSON Schemas of the wire contract, generated from the models and committed in `schemas/`.

`firewatch schemas --write` regenerates them; a test fails when they are stale, so a change to
a model is always a visible change to the published contract.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter

from events.actions import ConsoleAction
from events.alerts import Alert
from events.commands import Command, ResendRequest
from events.deadletter import DeadLetter
from events.hazards import HazardUpdate
from events.incidents import IncidentUpdate
from events.readings import Reading
from events.reports import FIELD_REPORT
from events.sequence import SequenceAnomaly

SCHEMA_DIR = Path(__file__).parent / "schemas"

_MODELS: dict[str, type[BaseModel]] = {
    "alert": Alert,
    "command": Command,
    "resend_request": ResendRequest,
    "dead_letter": DeadLetter,
    "sequence_anomaly": SequenceAnomaly,
    "incident_update": IncidentUpdate,
    "hazard_update": HazardUpdate,
    "console_action": ConsoleAction,
}


def generate() -> dict[str, dict[str, Any]]:
    """Schema name -> JSON Schema, for every message type on the wire."""
    schemas: dict[str, dict[str, Any]] = {
        "reading": TypeAdapter[Reading](Reading).json_schema(),
        "field_report": FIELD_REPORT.json_schema(),
    }
    for name, model in _MODELS.items():
        schemas[name] = model.model_json_schema()
    return schemas


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in generate().items():
        path = directory / f"{name}.schema.json"
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written


def stale(directory: Path = SCHEMA_DIR) -> list[str]:
    """Names of committed schemas that differ from what the models generate."""
    out = []
    for name, schema in generate().items():
        path = directory / f"{name}.schema.json"
        if not path.exists() or path.read_text(encoding="utf-8") != render(schema):
            out.append(name)
    return out
