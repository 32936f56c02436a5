"""The console's pure parts: the incident view, the message catalogues (server and page),
the sign-in throttle."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from alerts.console.i18n import LANGS, MESSAGES_DIR, catalogue, negotiate, text
from alerts.console.throttle import SignInThrottle, ThrottleConfig
from alerts.console.views import allowed_actions, confirm_calls_119, incident_view
from alerts.escalation import EscalationPolicy
from alerts.lifecycle import Action, Condition, Incident, Outcome, State, Task
from alerts.maintenance import WorkOrderState
from alerts.registry import EXAMPLE_DIR, load_registry
from alerts.registry.models import ContactChannel
from alerts.registry.places import PointKind, Room
from events.alerts import AlertKind, AlertStatus, Severity, condition_key
from events.hazards import HazardAction, HazardState
from events.incidents import (
    DispatchNote,
    DispatchReason,
    IncidentPlace,
    PlaceScope,
    TaskKind,
    TaskState,
)

from .rig import DAY

STATIC = MESSAGES_DIR.parent / "static"


def _incident(
    state: State = State.DISPATCHED,
    kind: AlertKind = AlertKind.THERMAL_RUNAWAY,
    severity: Severity = Severity.P1,
) -> Incident:
    device = "c001-cs1-p03"
    key = condition_key("c001", None, kind, device)
    condition = Condition(key, kind, severity, AlertStatus.RAISED, 1, DAY, device_id=device)
    return Incident(
        incident_key=f"c001/device:{device}@20260105T020000.000Z",
        place=IncidentPlace(compound_id="c001", scope=PlaceScope.DEVICE, place_id=device),
        severity=severity,
        opened_at=DAY,
        raised_at=DAY,
        state=state,
        dispatch=DispatchNote(
            station_id="st-east", reason=DispatchReason.NEAREST_COVERING, text="nearest"
        ),
        conditions={key: condition},
    )


@pytest.mark.parametrize(
    ("state", "actions"),
    [
        (State.DISPATCHED, ["acknowledge", "on_scene", "confirm", "deny", "mute"]),
        (State.ACKNOWLEDGED, ["on_scene", "confirm", "deny", "resolve", "mute"]),
        (State.ASSESSED, ["resolve", "mute"]),
        (State.RESOLVED, []),
    ],
)
def test_only_the_actions_that_apply_now(state: State, actions: list[str]) -> None:
    inc = _incident(state)
    assert [a.value for a in allowed_actions(inc)] == actions
    assert inc.state is state  # probing never touches the incident itself


def test_supervisory_matters_are_handled_and_resolved_not_assessed() -> None:
    inc = _incident(kind=AlertKind.DOOR_HELD_OPEN, severity=Severity.P2)
    assert [a.value for a in allowed_actions(inc)] == ["acknowledge", "on_scene", "mute"]
    pre_alarm = _incident(kind=AlertKind.FIRE_PRE_ALARM, severity=Severity.P2)
    assert Action.CONFIRM in allowed_actions(pre_alarm)


def test_the_view_carries_place_deadlines_and_the_new_models_fields() -> None:
    registry = load_registry(EXAMPLE_DIR)
    view = incident_view(_incident(), registry, EscalationPolicy())
    assert view["needs_answer"] is True
    assert view["is_fire"] is True
    assert view["confirm_calls_119"] is True  # the P1 ladder forwards on confirmation
    assert view["place"]["focus"]["shed_id"] == "shed1"
    assert view["station"] == {
        "id": "st-east",
        "name": "东门微型消防站",
        "name_en": "East gate station",
    }
    assert view["ack_due_at"] == (DAY + timedelta(seconds=60)).isoformat()  # 1分钟响应
    assert view["scene_due_at"] == (DAY + timedelta(seconds=180)).isoformat()  # 3分钟到场
    assert (view["assignee"], view["tasks"], view["hazards"]) == (None, [], [])
    with_task = _incident()
    cut = Task(TaskKind.CUT_POWER, "c001-cs1-p03", "gw-1", TaskState.FAILED, DAY, "relay on")
    with_task.tasks[cut.key] = cut
    (task,) = incident_view(with_task, registry, EscalationPolicy())["tasks"]
    assert (task["kind"], task["state"], task["text"]) == (
        "cut_power",
        "failed",
        "cut_power c001-cs1-p03: relay on",
    )
    inc = _incident(State.ACKNOWLEDGED)
    inc.apply(Action.RESOLVE, actor="m", at=DAY, source="t", outcome=Outcome.TEST)
    assert incident_view(inc, registry, EscalationPolicy())["needs_answer"] is False
    assert confirm_calls_119(EscalationPolicy(), Severity.P3) is False


def test_catalogues_have_the_same_keys_and_words_for_every_enum() -> None:
    zh, en = catalogue("zh-CN"), catalogue("en")
    assert set(zh) == set(en)
    for lang in LANGS:
        words = catalogue(lang)
        for prefix, values in (
            ("kind", list(AlertKind)),
            ("state", list(State)),
            ("severity", list(Severity)),
            ("room", list(Room)),
            ("point", list(PointKind)),
            ("outcome", list(Outcome)),
            ("task", list(TaskKind)),
            ("task_state", list(TaskState)),
            ("dispatch.reason", list(DispatchReason)),
            ("work_order.state", list(WorkOrderState)),
            ("hazard.state", list(HazardState)),
            ("hazard.action", list(HazardAction)),
            ("channel", list(ContactChannel)),
        ):
            missing = [v.value for v in values if f"{prefix}.{v.value}" not in words]
            assert not missing, (lang, prefix, missing)


def test_every_key_the_page_asks_for_is_in_the_catalogues() -> None:
    literal = re.compile(r"""\bt\(\s*["']([\w.]+)["']""")
    templated = re.compile(r"""\bt\(\s*`([\w.]+)\.\$\{""")
    keys, prefixes = set(), set()
    for path in STATIC.glob("*.js"):
        source = path.read_text(encoding="utf-8")
        keys |= set(literal.findall(source))
        prefixes |= set(templated.findall(source))
    assert len(keys) > 40  # the scan found the page's words
    zh = catalogue("zh-CN")
    assert sorted(keys - set(zh)) == []
    assert sorted(p for p in prefixes if not any(k.startswith(p + ".") for k in zh)) == []


def test_server_words_and_language_choice() -> None:
    assert text("zh-CN", "error.throttled", s=4) == "尝试次数过多，请 4 秒后再试"
    assert text("en", "place.floor", n=3) == "floor 3"
    assert text("en", "no.such.key") == "no.such.key"
    assert negotiate(None) == "zh-CN"  # Chinese first
    assert negotiate("fr-FR,en-US;q=0.8") == "en"
    assert negotiate("zh-TW,zh;q=0.9") == "zh-CN"


def test_throttle_delays_double_after_the_free_failures_and_forget() -> None:
    throttle = SignInThrottle(ThrottleConfig(free_failures_per_member=3, max_delay_s=8))
    now = DAY
    for _ in range(3):
        assert throttle.wait_s("m", "10.0.0.1", now) == 0
        throttle.failed("m", "10.0.0.1", now)
    waits = []
    for _ in range(5):
        waits.append(throttle.wait_s("m", "10.0.0.1", now))
        throttle.failed("m", "10.0.0.1", now)
    assert waits == [1, 2, 4, 8, 8]  # doubling, capped
    assert throttle.wait_s("m", "10.0.0.1", now + timedelta(seconds=5)) == 3
    assert throttle.wait_s("other", "10.0.0.2", now) == 0
    later = now + timedelta(seconds=ThrottleConfig().window_s + 1)
    assert throttle.wait_s("m", "10.0.0.1", later) == 0  # failures outside the window fade
    throttle.succeeded("m")
    assert throttle.wait_s("m", "10.0.0.3", now) == 0
