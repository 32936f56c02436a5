"""Scoped feeds: each recipient sees only what its filter allows, with only its field set
(no resident phone numbers unless allowed), signed (HMAC-SHA256, timestamp, replay window);
deliveries are retried with back-off, kept in a ledger, and a feed that keeps failing alerts
the operator (log, metric, maintenance item) until it delivers again."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from alerts.feeds.config import EXAMPLE_FEEDS, FeedConfig, FeedConfigError, FeedsConfig, load_feeds
from alerts.feeds.delivery import Sender
from alerts.feeds.hub import FeedHub
from alerts.feeds.items import body_of, from_hazard, from_incident, project
from alerts.feeds.schema import stale
from alerts.feeds.signing import SignatureError, sign, verify
from alerts.feeds.store import DeliveryLedger
from alerts.hazards.maintenance import ItemKind, MaintenanceItems
from alerts.ledger import build_report
from alerts.ledger import verify as verify_audit
from alerts.ledger.db import Database
from events.alerts import AlertKind, AlertStatus, Severity
from events.codec import encode_model
from events.hazards import HazardAction, HazardSeverity, HazardState, HazardUpdate
from events.incidents import (
    ConditionRef,
    DispatchNote,
    DispatchReason,
    IncidentAction,
    IncidentPlace,
    IncidentState,
    IncidentUpdate,
    PlaceScope,
)
from events.reports import HazardCategory, ReporterContact
from runtime.clock import ManualClock

from .feed_rig import receiver
from .rig import START

KEY = b"shared-secret-of-the-police"


def hazard(category: HazardCategory, seq: int = 1, **extra: object) -> HazardUpdate:
    values: dict[str, object] = {
        "hazard_id": f"hz-{category.value}",
        "seq": seq,
        "state": HazardState.FOUND,
        "category": category,
        "compound_id": "c001",
        "street_id": "s-example",
        "building_id": "b1",
        "floor": 1,
        "title": f"{category.value} in b1",
        "found_at": START,
        "action": HazardAction.REPORT,
        "actor": "resident",
        "at": START,
        "source": "resident-web",
        "reporter_contact": ReporterContact(name="王女士", phone="13800000000", consent_at=START),
    }
    values.update(extra)
    return HazardUpdate.model_validate(values)


def fire(severity: Severity = Severity.P1, kind: AlertKind = AlertKind.FIRE) -> IncidentUpdate:
    """An incident update as dispatch publishes it on fw.incidents.v2."""
    place = IncidentPlace(compound_id="c001", scope=PlaceScope.BUILDING, place_id="b1")
    door = ConditionRef(
        condition_key="c001/b1/fire_door_open_in_fire/fd-1",
        kind=AlertKind.FIRE_DOOR_OPEN_IN_FIRE,
        severity=Severity.P1,
        status=AlertStatus.RAISED,
        raised_at=START,
    )
    lead = door.model_copy(update={"condition_key": f"c001/b1/{kind.value}/sd-1", "kind": kind})
    return IncidentUpdate(
        incident_key=f"c001/building:b1@{kind.value}",
        seq=3,
        place=place.model_copy(update={"building_id": "b1"}),
        severity=severity,
        state=IncidentState.DISPATCHED,
        title=f"{kind.value} in b1",
        opened_at=START,
        raised_at=START,
        dispatch=DispatchNote(
            station_id="st-east", reason=DispatchReason.NEAREST_COVERING, text="nearest"
        ),
        conditions=(door, lead.model_copy(update={"severity": severity})),
        action=IncidentAction.DISPATCH,
        from_state=IncidentState.RAISED,
        actor="dispatch",
        at=START,
        source="dispatch",
    )


def feeds(url: str, **police: object) -> FeedsConfig:
    return FeedsConfig.model_validate(
        {
            "feeds": [
                {
                    "feed_id": "police",
                    "name": "police",
                    "allow_contact": True,
                    "filter": {"item_kinds": ["hazard"], "kinds": ["mixed_use", "flying_wire"]},
                    "fields": ["kind", "state", "title", "reporter_phone"],
                    "webhook": {"url": url, "secret": KEY.decode()},
                    **police,
                },
                {
                    "feed_id": "fire-119",
                    "name": "119",
                    "filter": {"kinds": ["fire", "blocked_route"], "severities": ["P1", "major"]},
                    "fields": ["kind", "severity", "compound_id"],
                    "webhook": {"url": url.replace("firewatch", "nowhere"), "secret": "other"},
                },
            ]
        }
    )


def test_projection_keeps_only_the_recipients_fields() -> None:
    config = feeds("http://127.0.0.1:1/firewatch")
    police, brigade = config.feeds
    item = from_hazard(hazard(HazardCategory.MIXED_USE))
    assert project(item, police) == {
        "schema": "firewatch.feed.v1",
        "feed_id": "police",
        "event_id": "hz-mixed_use#1",
        "item_kind": "hazard",
        "subject_id": "hz-mixed_use",
        "at": START.isoformat().replace("+00:00", "Z"),
        "kind": "mixed_use",
        "state": "found",
        "title": "mixed_use in b1",
        "reporter_phone": "13800000000",
    }
    for_brigade = project(item, brigade)
    assert "reporter_phone" not in for_brigade
    assert "13800000000" not in body_of(for_brigade).decode()


def test_a_feed_may_not_ask_for_residents_data_without_being_allowed(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="personal data"):
        FeedConfig.model_validate(
            {
                "feed_id": "x",
                "name": "x",
                "fields": ["reporter_phone"],
                "kafka_topic": "fw.feed.x.v1",
            }
        )
    (tmp_path / "feeds.yaml").write_text(
        "feeds:\n  - {feed_id: a, name: a, fields: [kind],\n"
        "     webhook: {url: 'http://x/', secret_env: NOPE}}\n"
    )
    with pytest.raises(FeedConfigError, match=r"\$NOPE is not set"):
        load_feeds(tmp_path / "feeds.yaml", {})


def test_signatures_are_checked_for_key_body_and_time() -> None:
    body = b'{"event_id":"e1"}'
    headers = sign(KEY, 1_767_580_800, body)
    verify(KEY, headers, body, 1_767_580_800 + 299)
    for key, data, now_s, message in (
        (b"wrong key", body, 1_767_580_800, "does not match"),
        (KEY, body + b" ", 1_767_580_800, "does not match"),
        (KEY, body, 1_767_580_800 + 301, "replay window"),
        (KEY, body, 1_767_580_800 - 301, "replay window"),
    ):
        with pytest.raises(SignatureError, match=message):
            verify(key, headers, data, now_s)
    with pytest.raises(SignatureError, match="missing"):
        verify(KEY, {}, body, 1_767_580_800)


def test_an_incident_update_becomes_an_item_named_by_its_lead_condition() -> None:
    item = from_incident(IncidentUpdate.model_validate_json(encode_model(fire())))
    assert (item.item_kind.value, item.event_id, item.subject_id) == (
        "incident",
        "c001/building:b1@fire:3",
        "c001/building:b1@fire",
    )
    # The fire names it, not the fire door's read-back that joined it.
    assert (item.kind, item.severity, item.state, item.action) == (
        "fire",
        "P1",
        "dispatched",
        "dispatch",
    )
    assert (item.compound_id, item.building_id, item.station_id) == ("c001", "b1", "st-east")


async def test_a_receiver_sees_only_what_its_filter_allows_signed(tmp_path: Path) -> None:
    clock = ManualClock(START)
    db = Database(f"sqlite:///{tmp_path}/ledger.db")
    async with receiver(KEY) as rec, httpx.AsyncClient() as http:
        ledger = DeliveryLedger(db)
        hub = FeedHub(feeds(rec.url), Sender(http, None), ledger, MaintenanceItems(db), clock)
        offered = [
            from_hazard(hazard(HazardCategory.MIXED_USE)),
            from_hazard(hazard(HazardCategory.BLOCKED_ROUTE, severity=HazardSeverity.MAJOR)),
            from_hazard(hazard(HazardCategory.FLYING_WIRE, seq=2, state=HazardState.TRIAGED)),
            from_hazard(hazard(HazardCategory.EBIKE_INDOORS)),
            from_incident(fire()),
        ]
        for item in offered:
            assert item is not None
            await hub.offer(item)
        await hub.offer(from_hazard(hazard(HazardCategory.MIXED_USE)))  # a redelivered record
        assert [i["event_id"] for i in rec.items] == ["hz-mixed_use#1", "hz-flying_wire#2"]
        assert all(i["feed_id"] == "police" for i in rec.items)
        assert rec.items[1]["reporter_phone"] == "13800000000"
        assert rec.refused == []
        assert ledger.counts("police") == {"delivered": 2}
        # 119's filter took the blocked route (major) and the fire (P1); its URL is wrong.
        assert ledger.counts("fire-119") == {"retrying": 2}


async def test_a_failing_feed_retries_alerts_the_operator_and_recovers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock(START)
    db = Database(f"sqlite:///{tmp_path}/ledger.db")
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async with receiver(KEY) as rec, httpx.AsyncClient() as http:
        config = feeds(rec.url, attempts=3, backoff_s=0.5, failing_after=2, retry_after_s=60)
        items = MaintenanceItems(db)
        ledger = DeliveryLedger(db)
        hub = FeedHub(config, Sender(http, None, sleep), ledger, items, clock)
        rec.fail_with = 503
        for seq in (1, 2):
            await hub.offer(from_hazard(hazard(HazardCategory.FLYING_WIRE, seq=seq)))
        assert waits == [0.0, 0.5, 1.0] * 2  # doubling back-off within one delivery
        assert rec.requests == 6
        assert ledger.counts("police") == {"retrying": 2}
        assert hub.metrics.failing.labels("police")._value.get() == 1
        (item,) = items.open_items(ItemKind.FEED_FAILING)
        assert item.subject == "police"
        assert "2 deliveries in a row failed" in item.detail
        assert "FEED FAILING: police" in caplog.text
        # A work order in the one maintenance queue, beside the devices' (migration 0008).
        orders = build_report(db, START - timedelta(days=1), clock.now())["work_orders"]
        assert [(o["order_id"], o["kind"]) for o in orders["open"]] == [
            ("feed_failing:police", "feed_failing")
        ]
        rec.fail_with = None
        await hub.retry_due()
        assert rec.items == []  # not due yet
        clock.advance(60)
        with caplog.at_level(logging.INFO):
            await hub.retry_due()
        assert [i["event_id"] for i in rec.items] == ["hz-flying_wire#1", "hz-flying_wire#2"]
        assert ledger.counts("police") == {"delivered": 2}
        assert items.open_items(ItemKind.FEED_FAILING) == []
        assert hub.metrics.failing.labels("police")._value.get() == 0
        assert ledger.next_retry_at() is None
        (state,) = db.query("SELECT state FROM work_orders WHERE kind = 'feed_failing'")[0]
        assert state == "done"
        result = verify_audit(db)  # every delivery and the order's changes are in the chain
        assert result.is_ok, result.problems


def test_the_committed_feed_schemas_match_the_example_feeds() -> None:
    secrets = {"FIREWATCH_FEED_FIRE_119_SECRET": "x", "FIREWATCH_FEED_POLICE_SECRET": "y"}
    assert stale(load_feeds(EXAMPLE_FEEDS, secrets)) == []
