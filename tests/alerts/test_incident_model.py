"""One event, one incident: grouping, linkage tasks from read-backs and device health,
maintenance work orders, flapping, and the console seeing each change once."""

from __future__ import annotations

from datetime import timedelta

from alerts.config import DispatchConfig
from alerts.lifecycle import Action, Outcome
from alerts.maintenance import WorkOrderState
from alerts.notify.base import Page
from alerts.notify.hub import ConsoleChannel, ConsoleHub
from alerts.registry.models import ContactChannel
from events.alerts import Alert, AlertKind, AlertStatus, LinkageAction, LinkageRequest, Severity
from events.incidents import DispatchReason, IncidentUpdate, PlaceScope, TaskState
from runtime.clock import ManualClock

from .rig import DAY, Rig, build_rig, make_alert


def _cut(port: str) -> LinkageRequest:
    return LinkageRequest(
        action=LinkageAction.CUT_POWER, device_id=port, gateway_id="gw-2", reason="test"
    )


async def test_a_flat_fire_is_one_incident_with_its_evidence_and_tasks(rig: Rig) -> None:
    pre = await rig.alert(make_alert(AlertKind.FIRE_PRE_ALARM, "f3-u2-smk", area="f3-u2"))
    await rig.alert(make_alert(AlertKind.FIRE, "f3-u2-smk", area="f3-u2"))
    await rig.alert(make_alert(AlertKind.FIRE, "f3-cor-smk", area="f3-cor"))
    await rig.alert(make_alert(AlertKind.FIRE, "", area="f3-u2"))  # two-detector area fire
    fd = await rig.alert(make_alert(AlertKind.FIRE_DOOR_OPEN_IN_FIRE, "f3-fd1"))
    (inc,) = rig.core.open_incidents()
    assert inc is pre
    assert fd is None  # a read-back is a task state, never an incident of its own
    assert (inc.place.scope, inc.place.place_id, inc.severity) == (
        PlaceScope.BUILDING,
        "b1",
        Severity.P1,
    )
    assert len(inc.conditions) == 4
    assert {t.key: t.state for t in inc.tasks.values()} == {
        "release_locks:c001-b1-exit1": TaskState.SENT,  # confirmed: two detectors
        "release_locks:c001-b1-exit2": TaskState.SENT,
        "close_fire_door:f3-fd1": TaskState.FAILED,
    }
    assert "p1-no-ack:ste-chief" in rig.pages()  # the open fire door called the next step
    closed = make_alert(
        AlertKind.FIRE_DOOR_OPEN_IN_FIRE, "f3-fd1", revision=2, status=AlertStatus.CLEARED
    )
    await rig.alert(closed)
    assert inc.tasks["close_fire_door:f3-fd1"].state is TaskState.CONFIRMED
    assert len(rig.core.open_incidents()) == 1


async def test_an_exit_still_locked_is_waiting_until_its_read_back_deadline(rig: Rig) -> None:
    inc = await rig.alert(make_alert(evidence=("sd-1", "sd-2")))
    await rig.alert(make_alert(AlertKind.EVAC_LOCKS_NOT_RELEASED, "c001-b1-exit1"))
    assert inc is not None
    task = inc.tasks["release_locks:c001-b1-exit1"]
    assert (task.state, task.detail) == (TaskState.SENT, "locks still engaged")
    released = make_alert(
        AlertKind.EVAC_LOCKS_NOT_RELEASED, "c001-b1-exit1", revision=2, status=AlertStatus.CLEARED
    )
    await rig.alert(released)
    assert (task.state, task.detail) == (TaskState.CONFIRMED, "locks released")


async def test_a_door_matter_joins_a_burning_building_and_stands_alone_otherwise(
    rig: Rig,
) -> None:
    alone = await rig.alert(make_alert(AlertKind.DOOR_HELD_OPEN, "b2-fd1", building="b2"))
    assert alone is not None
    assert (alone.place.scope, alone.severity) == (PlaceScope.DEVICE, Severity.P2)
    fire = await rig.alert(make_alert())
    held = await rig.alert(make_alert(AlertKind.DOOR_HELD_OPEN, "b1-fd1"))
    assert held is fire
    assert len(rig.core.open_incidents()) == 2


async def test_a_thermal_runaway_is_one_incident_with_the_power_cut_task(rig: Rig) -> None:
    def shed(kind: AlertKind, device: str, *cuts: str) -> Alert:
        linkage = tuple(_cut(p) for p in cuts)
        return make_alert(kind, device, building="b2", area="shed1", linkage=linkage)

    climb = await rig.alert(shed(AlertKind.CHARGING_TEMP_CLIMB, "p03"))
    await rig.alert(shed(AlertKind.THERMAL_RUNAWAY, "p03", "p03"))
    await rig.alert(shed(AlertKind.SMOKE_NEAR_CHARGING, "", "p03", "p05"))
    await rig.alert(shed(AlertKind.FIRE, "shed1-smk"))
    (inc,) = rig.core.open_incidents()
    assert inc is climb
    assert inc.severity is Severity.P1
    assert {t.key for t in inc.tasks.values() if t.state is TaskState.SENT} >= {
        "cut_power:p03",
        "cut_power:p05",
    }
    assert [c.device_id for c in rig.outbox.commands].count("p03") == 1


async def test_device_health_is_a_work_order_never_paged(rig: Rig) -> None:
    low = make_alert(AlertKind.LOW_BATTERY, "b1-f6-u1-smk")
    assert await rig.alert(low) is None
    assert rig.core.open_incidents() == []
    assert rig.pages() == []
    (order,) = rig.core.work_orders()
    assert order.due_at == DAY + timedelta(hours=24)  # DOMAIN.md §2: within 24 h
    rig.clock.advance(3600)
    await rig.alert(
        make_alert(AlertKind.LOW_BATTERY, "b1-f6-u1-smk", revision=2, status=AlertStatus.CLEARED)
    )
    assert (order.state, order.done_at) == (WorkOrderState.DONE, rig.clock.now())
    rig.clock.advance(60)  # the battery sags again within the hold-off: the same job
    await rig.alert(make_alert(AlertKind.LOW_BATTERY, "b1-f6-u1-smk", revision=3))
    assert (order.state, order.occurrences) == (WorkOrderState.OPEN, 2)
    assert rig.ledger.db.query("SELECT state, occurrences FROM work_orders") == [("open", 2)]


async def test_an_offline_exit_during_a_fire_fails_its_task(rig: Rig) -> None:
    inc = await rig.alert(make_alert())
    assert inc is not None
    offline = make_alert(AlertKind.DEVICE_OFFLINE, "c001-b1-exit2", building=None)
    assert await rig.alert(offline) is None
    task = inc.tasks["release_locks:c001-b1-exit2"]
    assert (task.state, task.detail) == (TaskState.FAILED, "unreachable: device offline")
    assert len(rig.core.work_orders()) == 1  # and maintenance gets its job


def _climb(revision: int, status: AlertStatus = AlertStatus.RAISED) -> Alert:
    return make_alert(
        AlertKind.CHARGING_TEMP_CLIMB,
        "p02",
        revision=revision,
        status=status,
        building=None,
        area="shed1",
    )


async def test_a_p2_flapping_after_resolution_reopens_the_same_incident_quietly(
    rig: Rig,
) -> None:
    inc = await rig.alert(_climb(1))
    assert inc is not None
    assert inc.place.scope is PlaceScope.AREA  # a charging area outside any building
    await rig.act(inc.incident_key, Action.ACKNOWLEDGE)
    await rig.alert(_climb(2, AlertStatus.CLEARED))
    await rig.act(inc.incident_key, Action.RESOLVE, outcome=Outcome.FALSE_ALARM, cause="sun")
    paged = len(rig.pages())
    rig.clock.advance(120)
    again = await rig.alert(_climb(3))
    assert again is inc
    assert inc.state.value == "acknowledged"
    assert len(rig.pages()) == paged  # nobody paged twice for the same condition
    await rig.act(inc.incident_key, Action.RESOLVE, outcome=Outcome.FALSE_ALARM, cause="sun")
    rig.clock.advance(DispatchConfig().reopen_holdoff_s + 1)
    later = await rig.alert(_climb(5))
    assert later is not None
    assert later is not inc
    assert len(rig.pages()) > paged


async def test_a_fire_after_a_persons_reset_is_paged_afresh(rig: Rig) -> None:
    inc = await rig.alert(make_alert())
    assert inc is not None
    await rig.act(inc.incident_key, Action.ACKNOWLEDGE)
    await rig.act(inc.incident_key, Action.RESOLVE, outcome=Outcome.FALSE_ALARM, cause="dust")
    rig.clock.advance(60)
    again = await rig.alert(make_alert(revision=3, at=rig.clock.now()))
    assert again is not None
    assert again is not inc  # a panel treats an alarm after reset as a new alarm
    assert sum(p.startswith("p1-page:ste-m1") for p in rig.pages()) == 2


async def test_no_covering_station_on_duty_calls_mutual_aid_at_once(tmp_path: object) -> None:
    night = DAY.replace(hour=14)  # 22:00 local
    rig = build_rig(f"sqlite:///{tmp_path}/n.db", ManualClock(night))
    east = rig.core.registry.station("st-east")
    day_only = east.model_copy(update={"shifts": east.shifts[:1]})
    stations = (day_only, *rig.core.registry.stations[1:])
    object.__setattr__(rig.core.registry, "stations", stations)
    inc = await rig.alert(make_alert(at=night))
    assert inc is not None
    assert inc.dispatch is not None
    assert (inc.station_id, inc.dispatch.reason) == (None, DispatchReason.NO_COVERING_ON_DUTY)
    assert {p for p in rig.pages() if p.startswith("p1-mutual-aid")} == {
        "p1-mutual-aid:stw-m4",
        "p1-mutual-aid:stw-m5",
        "p1-mutual-aid:stw-m6",
    }


async def test_every_change_reaches_the_console_once(rig: Rig) -> None:
    inc = await rig.alert(make_alert())
    assert inc is not None
    queue = rig.hub.subscribe("ste-m1")
    await rig.act(inc.incident_key, Action.ACKNOWLEDGE)
    events = [queue.get_nowait() for _ in range(queue.qsize())]
    assert [e["type"] for e in events] == ["incident"]  # one action, one console event


def _page(recipient: str) -> Page:
    return Page("k", "p1-page", recipient, ContactChannel.CONSOLE, recipient, "P1", "t", "b", DAY)


async def test_a_console_page_is_delivered_only_to_an_open_console_of_its_member() -> None:
    hub = ConsoleHub()
    channel = ConsoleChannel(hub)
    assert not (await channel.deliver(_page("ste-m1"))).is_ok
    other = hub.subscribe("ste-m2")
    assert not (await channel.deliver(_page("ste-m1"))).is_ok
    mine = hub.subscribe("ste-m1")
    assert (await channel.deliver(_page("ste-m1"))).is_ok
    assert mine.get_nowait()["recipient"] == "ste-m1"
    assert other.empty()


async def test_every_incident_update_is_valid_on_the_wire(rig: Rig) -> None:
    # Updates are built without validation (alerts.snapshot): prove the wire form decodes
    # back to the same update, tasks and conditions included.
    await rig.alert(make_alert(evidence=("sd-1", "sd-2")))
    await rig.alert(make_alert(AlertKind.FIRE_DOOR_OPEN_IN_FIRE, "f1-fd1"))
    assert rig.outbox.updates
    for update in rig.outbox.updates:
        assert IncidentUpdate.model_validate_json(update.model_dump_json()) == update
