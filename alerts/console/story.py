"""The incident's story (issue 11.5), pure: the ledger's transitions and pages of one incident
as timeline entries the page words from its catalogue (zh-CN first), oldest first.

Each entry carries codes, never English sentences: `type` (page, forward_119, action,
task, planned, command, unreached, joined, note), the action or task state, who, by which channel,
delivered or not. The dispatcher's own notes are English machine text (alerts.service.
operations); the ones a person on duty needs are recognised here by their fixed shape, the
rest is kept as `detail` (shown small, never dropped: nothing lost).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

Entry = dict[str, Any]
Name = Callable[[str], str | None]

# alerts.service.operations: f"task {task.key}: {state} ({detail})", task.key = "kind:device"
_TASK = re.compile(r"^task (?P<kind>\w+):(?P<device>\S+): (?P<state>\w+) \((?P<detail>.*)\)$")
_UNREACHED = re.compile(r"^escalation (?P<step>[\w-]+): (?P<n>\d+) recipients unreached$")
_PAGED = re.compile(r"^escalation (?P<step>[\w-]+): paged ")
_JOINED = re.compile(r"^(?P<kind>\w+) at (?P<where>\S+) joined")
_PLANNED = re.compile(r"^linkage tasks: (?P<tasks>.+)$")
_COMMAND = re.compile(r"^command (?P<action>\w+) -> (?P<device>\S+)$")
FORWARD_119 = "119"


def timeline(
    transitions: Iterable[tuple[Any, ...]], pages: Iterable[tuple[Any, ...]], name: Name
) -> list[Entry]:
    """Transitions (action, from, to, actor, at, source, detail) and pages (step_id,
    recipient, channel, at, is_ok, detail) as one story, oldest first."""
    entries = [_transition(row, name) for row in transitions]
    entries += [_page(row, name) for row in pages]
    kept = [e for e in entries if e is not None]
    # Same second: a transition before the pages it caused (the ledger's order).
    return sorted(kept, key=lambda e: (e["at"], e["type"] in ("page", "forward_119")))


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def _page(row: tuple[Any, ...], name: Name) -> Entry:
    step_id, recipient, channel, at, is_ok, detail = row
    is_119 = recipient == FORWARD_119
    return {
        "type": "forward_119" if is_119 else "page",
        "at": _iso(at),
        "step_id": step_id,
        "who": recipient,
        "who_name": None if is_119 else name(recipient),
        "channel": channel,
        "is_ok": bool(is_ok),
        "detail": detail,
    }


def _transition(row: tuple[Any, ...], name: Name) -> Entry | None:
    action, _from, to_state, actor, at, source, detail = row
    base: Entry = {"at": _iso(at), "who": actor, "who_name": name(actor), "detail": detail}
    if action != "note":
        by_console = source.startswith("console")
        return base | {
            "type": "action",
            "action": action,
            "state": to_state,
            "from_console": by_console,
        }
    return _note(base, detail)


def _task(m: re.Match[str]) -> Entry:
    return {
        "type": "task",
        "task": m["kind"],
        "device_id": m["device"],
        "state": m["state"],
        "detail": m["detail"],
    }


def _planned(m: re.Match[str]) -> Entry:
    # "kind:device, kind:device" (alerts.service.operations.plan_tasks)
    pairs = [t.split(":", 1) for t in m["tasks"].split(", ") if ":" in t]
    return {"type": "planned", "tasks": [{"task": k, "device_id": d} for k, d in pairs]}


_NOTES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], Entry]], ...] = (
    (_TASK, _task),
    (_UNREACHED, lambda m: {"type": "unreached", "step_id": m["step"], "n": int(m["n"])}),
    (_PLANNED, _planned),
    (_COMMAND, lambda m: {"type": "command", "command": m["action"], "device_id": m["device"]}),
    (_JOINED, lambda m: {"type": "joined", "kind": m["kind"], "device_id": m["where"]}),
)


def _note(base: Entry, detail: str) -> Entry | None:
    if _PAGED.match(detail):
        return None  # the pages themselves are entries, with their channel and outcome
    for pattern, build in _NOTES:
        found = pattern.match(detail)
        if found:
            return base | build(found)
    return base | {"type": "note"}
