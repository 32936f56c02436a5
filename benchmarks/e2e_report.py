"""What the e2e benchmark's arrivals add up to (pure): per P1 its latency to each end, and the
counts that must reconcile (every P1 at both ends, once, as one incident of its own)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import pairwise
from typing import Any, Protocol

from alerts.ledger.report import percentile
from benchmarks.e2e_watch import Arrivals

TARGET_P99_MS = 100.0  # issue #17: a P1 on the terminal and the console within 100 ms at p99


class _Watch(Protocol):
    arrivals: Arrivals


def place_of(incident_key: str) -> str:
    """events.incidents.incident_key is `<place key>@<opened at>`."""
    return incident_key.rsplit("@", 1)[0]


def _firsts(watches: Sequence[_Watch]) -> dict[str, float]:
    """First arrival per place across the watchers (any terminal, any member)."""
    out: dict[str, float] = {}
    for w in watches:
        for key, at in w.arrivals.first.items():
            place = place_of(key)
            out[place] = min(at, out.get(place, at))
    return out


def _keys_by_place(watches: Sequence[_Watch]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for w in watches:
        for key in w.arrivals.counts:
            out.setdefault(place_of(key), set()).add(key)
    return out


def _duplicates(watches: Sequence[_Watch], places: set[str]) -> int:
    """First-step pages received more than once by the same watcher (a terminal or member)."""
    return sum(
        n - 1
        for w in watches
        for key, n in w.arrivals.counts.items()
        if n > 1 and place_of(key) in places
    )


def reconcile(
    sent: dict[str, float],
    terminals: Sequence[_Watch],
    consoles: Sequence[_Watch],
    place_keys: list[str],
) -> dict[str, Any]:
    """`sent`: publish time per place key; the watchers' arrivals; the P1 places to count."""
    places = set(place_keys)
    term, cons = _firsts(terminals), _firsts(consoles)
    keys = _keys_by_place([*terminals, *consoles])
    others = Counter(place_of(k) for w in terminals for k in w.arrivals.counts)
    return {
        "p1s": len(place_keys),
        "terminal_ms": [(term[p] - sent[p]) * 1000 for p in place_keys if p in term and p in sent],
        "console_ms": [(cons[p] - sent[p]) * 1000 for p in place_keys if p in cons and p in sent],
        "missing_terminal": sorted(p for p in places if p not in term),
        "missing_console": sorted(p for p in places if p not in cons),
        "places_with_more_than_one_incident": sorted(p for p in places if len(keys.get(p, ())) > 1),
        "terminal_duplicate_pages": _duplicates(terminals, places),
        "console_duplicate_pages": _duplicates(consoles, places),
        "unexpected_incidents_paged": sorted(p for p in others if p not in sent),
        "escalation_pages_seen": sum(w.arrivals.others for w in [*terminals, *consoles]),
    }


HOPS = ("device_to_alarm_on_kafka", "alarm_to_alert_on_kafka", "alert_to_terminal")


def hops(
    stamps: Sequence[dict[str, float]],
    terminals: Sequence[_Watch],
    place_keys: list[str],
    names: Sequence[str] = HOPS,
) -> dict[str, Any]:
    """Where each P1's time went, in ms, for the P1s stamped at every hop: Mosquitto + bridge +
    Tansu's produce (device -> its alarm on the priority topic), then the worker (-> the alert;
    for a thermal runaway that includes the readings topic's path, which raises it), then
    dispatch (-> the terminal's page). `stamps`: per place, the publish, alarm and alert
    times, in that order. The three slowest P1s at the terminal with their split: what sets
    the p99. `names`: one per hop (the raw relay's stamps are others, benchmarks/e2e_raw.py)."""
    term = _firsts(terminals)
    split: dict[str, list[float]] = {}
    for p in place_keys:
        marks = [by_place.get(p) for by_place in stamps] + [term.get(p)]
        known = [m for m in marks if m is not None]
        if len(known) == len(marks):
            split[p] = [(b - a) * 1000 for a, b in pairwise(known)]
    slowest = sorted(split, key=lambda p: sum(split[p]), reverse=True)[:3]
    return {
        "ms": {hop: [split[p][i] for p in split] for i, hop in enumerate(names)},
        "slowest": [
            {"place": p, **{hop: round(split[p][i], 1) for i, hop in enumerate(names)}}
            for p in slowest
        ],
    }


def stats(samples_ms: list[float], *, judged: bool = True) -> dict[str, Any]:
    """p50 / p99 / max of `samples_ms`; `judged`: whether the p99 meets the target."""
    p99 = percentile(samples_ms, 99) or 0.0
    out: dict[str, Any] = {
        "measured": len(samples_ms),
        "p50_ms": round(percentile(samples_ms, 50) or 0.0, 1),
        "p99_ms": round(p99, 1),
        "max_ms": round(max(samples_ms, default=0.0), 1),
    }
    if judged:
        out["meets_target"] = bool(samples_ms) and p99 <= TARGET_P99_MS
    return out


def ratios(stack: dict[str, Any], raw: dict[str, Any], kinds: Sequence[str]) -> dict[str, Any]:
    """The stack's terminal latency over the raw relay's, per percentile, for every P1 and per
    kind (the project's rule: a figure against the raw limit of the same run). None where the
    raw figure is 0 (nothing measured)."""
    parts = {"all": (stack, raw), **{k: (stack["by_kind"][k], raw["by_kind"][k]) for k in kinds}}
    out: dict[str, Any] = {}
    for name, (ours, floor) in parts.items():
        out[name] = {
            stat[:-3]: round(ours["terminal"][stat] / floor["terminal"][stat], 2)
            if floor["terminal"][stat]
            else None
            for stat in ("p50_ms", "p99_ms", "max_ms")
        }
    return out
