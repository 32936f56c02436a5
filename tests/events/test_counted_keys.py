"""decode_reading's counted proof that no key repeats (the fast path before `repeated_key`) is
never wrong: whatever the layout, escapes, ignored or nested keys, a payload with a repeated
key is still rejected as duplicate_key, and one without is accepted."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.codec import _keys_are_counted_distinct, _repeated_key_exact, decode_reading
from events.deadletter import DeadLetterReason
from events.errors import ContractViolation

# Under CPU contention an example can take long: no deadline, a bounded number of examples.
PROPERTY = settings(deadline=None, max_examples=400, suppress_health_check=[HealthCheck.too_slow])

SMOKE: dict[str, Any] = {
    "kind": "smoke",
    "device_id": "sd-1",
    "compound_id": "c1",
    "gateway_id": "gw:1",
    "seq": 3,
    "observed_at": "2026-11-22T02:00:00+08:00",
    "received_at": "2026-11-22T02:00:00.040+08:00",
    "obscuration_db_per_m": 0.02,
    "temperature_c": 22.5,
    "battery_pct": 88.0,
}
# Ignored keys (extra="ignore"), some of them nested, some holding `":` inside their strings.
extra_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text('":{}\\ ab', max_size=6),
    lambda inner: st.dictionaries(st.text('":ab', max_size=3), inner, max_size=3),
    max_leaves=5,
)
keys = st.sampled_from(sorted(SMOKE)) | st.text('"\\:ab_é ', max_size=5)
# Separators a producer may use, chosen per pair: compact (mostly), Python's default, and the
# odd whitespace before a colon (which hides a key from the count).
separators = st.lists(
    st.sampled_from([":", ":", ":", ": ", " :", "\t:", ":\n"]), min_size=20, max_size=20
)
Layout = list[str]


def _object(pairs: list[tuple[str, Any]], layout: Layout, ascii_only: bool) -> bytes:
    body = ",".join(
        json.dumps(k, ensure_ascii=ascii_only)
        + layout[n % len(layout)]
        + json.dumps(v, ensure_ascii=ascii_only, separators=(",", ":"))
        for n, (k, v) in enumerate(pairs)
    )
    return ("{" + body + "}").encode()


@PROPERTY
@given(
    extra=st.lists(st.tuples(keys, extra_values), max_size=4),
    repeat=st.lists(st.sampled_from(sorted(SMOKE)), max_size=2),
    layout=separators,
    ascii_only=st.booleans(),
)
def test_a_repeated_key_is_rejected_and_only_then(
    extra: list[tuple[str, Any]], repeat: list[str], layout: Layout, ascii_only: bool
) -> None:
    # A repeated known key keeps its valid value: only the repetition can break the contract.
    pairs = list(SMOKE.items()) + [(k, v) for k, v in extra if k not in SMOKE]
    pairs += [(k, SMOKE[k]) for k in repeat]
    payload = _object(pairs, layout, ascii_only)
    names = [k for k, _ in pairs]
    if len(names) == len(set(names)):
        decode_reading(payload)
        return
    with pytest.raises(ContractViolation) as raised:
        decode_reading(payload)
    assert raised.value.reason is DeadLetterReason.DUPLICATE_KEY


@PROPERTY
@given(
    extra=st.lists(st.tuples(keys, extra_values), max_size=4),
    repeat=st.lists(keys, max_size=2),
    layout=separators,
)
def test_the_count_never_vouches_for_a_payload_with_a_repeated_key(
    extra: list[tuple[str, Any]], repeat: list[str], layout: Layout
) -> None:
    pairs = list(SMOKE.items()) + extra + [(k, 1) for k in repeat]
    payload = _object(pairs, layout, ascii_only=True)
    # Any set of field names the validator may report: the known keys present.
    fields_set = {k for k, _ in pairs if k in SMOKE}
    if _keys_are_counted_distinct(payload, fields_set):
        assert _repeated_key_exact(payload) is None


def test_a_compact_reading_is_vouched_for_by_the_count() -> None:
    """What the bridge writes to Kafka (compact, no whitespace) takes the fast path."""
    payload = _object(list(SMOKE.items()), [":"], ascii_only=True)
    assert _keys_are_counted_distinct(payload, set(SMOKE))
    repeated = payload[:-1] + b',"seq":3}'
    assert not _keys_are_counted_distinct(repeated, set(SMOKE))
