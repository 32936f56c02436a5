"""一键派单 (issue 11.6), pure and through a restart: who may assign whom, ASSIGN as a
transition that keeps the state, and the assignment and the paged stations kept in the
ledger across a restart of dispatch."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from alerts.console.assign import candidates, may_assign, may_assign_to
from alerts.console.scope import scope_of
from alerts.errors import TransitionError
from alerts.lifecycle import Action, ActionRequest, State
from alerts.maintenance import WorkOrderAction, apply_person, fold
from alerts.registry import EXAMPLE_DIR, load_registry
from events.alerts import AlertKind, AlertStatus
from runtime.clock import ManualClock

from .console_rig import serve_console
from .rig import DAY, make_alert

REGISTRY = load_registry(EXAMPLE_DIR)


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        ("ste-chief", True),
        ("cr-1", True),
        ("so-1", True),
        ("ste-m1", False),
        ("gw-1", False),
        ("nobody", False),
    ],
)
def test_who_may_assign(member: str, expected: bool) -> None:
    assert may_assign(REGISTRY, member) is expected


async def test_assign_keeps_the_state_is_refused_when_closed_and_survives_a_restart(
    tmp_path: Path,
) -> None:
    clock = ManualClock(DAY)
    url = f"sqlite:///{tmp_path}/ledger.db"
    async with serve_console(url, clock) as rig:
        inc = await rig.raise_alert(make_alert(device="c001-b1-f3-u2-smk", at=DAY))
        key, before = inc.incident_key, inc.state
        chief = scope_of(REGISTRY, "ste-chief")
        assert chief is not None
        assert not may_assign_to(REGISTRY, chief, inc, "stw-m1")  # not called to it
        with pytest.raises(TransitionError):
            inc.apply(Action.ASSIGN, actor="ste-chief", at=DAY, source="t", detail=" ")
        await rig.backend.act(
            ActionRequest(key, Action.ASSIGN, "ste-chief", "console t", cause="ste-m2")
        )
        assert (inc.assignee, inc.state) == ("ste-m2", before)
        clock.advance(181)  # the ladder pages the nearest other station (mutual aid)
        await rig.backend.step(rig.backend.core.on_tick(clock.now()))
        assert "st-west" in inc.paged_stations
        west = {m.member_id for m in candidates(REGISTRY, chief, inc)}
        assert "stw-m1" in west  # a paged station's members may now be assigned
    async with serve_console(url, clock) as again:  # dispatch restarted
        restored = again.incident(key)
        assert restored is not None
        assert (restored.assignee, "st-west" in restored.paged_stations) == ("ste-m2", True)
        stw = scope_of(REGISTRY, "stw-m1")
        assert stw is not None
        assert stw.sees(restored)
        restored.apply(Action.ACKNOWLEDGE, actor="a", at=clock.now(), source="t")
        restored.apply(Action.ON_SCENE, actor="a", at=clock.now(), source="t")
        restored.state = State.RESOLVED
        with pytest.raises(TransitionError):
            restored.apply(Action.ASSIGN, actor="ste-chief", at=clock.now(), source="t", detail="x")


def test_a_reopened_work_order_is_nobodys_again() -> None:
    raised = make_alert(AlertKind.LOW_BATTERY, "c001-b2-f5-cor-smk", at=DAY, building="b2")
    order = fold(None, raised, DAY, due_s=86400, holdoff_s=900)
    assert order is not None
    apply_person(order, WorkOrderAction.CLOSE, "ste-m2", DAY)
    assert (order.state.value, order.done_by, order.acknowledged_by) == ("done", "ste-m2", "ste-m2")
    again = raised.model_copy(update={"revision": 2, "status": AlertStatus.RAISED})
    order = fold(order, again, DAY + timedelta(minutes=5), due_s=86400, holdoff_s=900)
    assert order is not None
    assert (order.state.value, order.done_by, order.acknowledged_by) == ("open", None, None)
