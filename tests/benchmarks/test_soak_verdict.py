"""The soak's verdict (benchmarks/soak_verdict.py): growth past the limit after the baseline
fails; Tansu may grow by the records it holds, not more; too few samples is no verdict."""

from __future__ import annotations

from benchmarks.soak import baseline_at_s
from benchmarks.soak_verdict import JUDGED, Sample, table, verdict

_MB = 1024 * 1024


def _sample(at_s: float, grow: dict[str, float] | None = None, stored: int = 0) -> Sample:
    rss = {name: 100.0 + (grow or {}).get(name, 0.0) for name in JUDGED}
    return Sample(at_s, rss, {"firewatch-streams": 5}, stored, sent=int(at_s * 1000))


def _judge(samples: list[Sample]) -> dict[str, object]:
    return verdict(samples, baseline_at_s=60, max_growth_pct=10, tansu_bytes_per_record=1024)


def test_flat_processes_pass_and_growth_before_the_baseline_does_not_count() -> None:
    warm_up = _sample(30, {"worker": -50})  # the worker loading its devices
    result = _judge([warm_up, _sample(60), _sample(120, {"worker": 9.9})])
    assert result["is_flat"] is True
    assert result["load_msg_s"] == 1000.0


def test_a_process_growing_past_the_limit_fails_even_when_it_shrinks_again() -> None:
    result = _judge([_sample(60), _sample(90, {"sink": 10.1}), _sample(120)])
    processes = result["processes"]
    assert isinstance(processes, dict)
    assert result["is_flat"] is False
    assert processes["sink"]["is_flat"] is False
    assert processes["sink"]["peak_after_mb"] == 110.1
    assert [n for n, p in processes.items() if not p["is_flat"]] == ["sink"]


def test_tansu_may_grow_by_the_records_it_holds_and_no_more() -> None:
    held = 100_000  # 100,000 records of 1 KiB allowance: 97.7 MB on top of the 10 %
    allowance_mb = held * 1024 / _MB
    inside = _judge([_sample(60), _sample(120, {"tansu": 10 + allowance_mb - 0.1}, held)])
    beyond = _judge([_sample(60), _sample(120, {"tansu": 10 + allowance_mb + 0.1}, held)])
    assert inside["is_flat"] is True
    assert beyond["is_flat"] is False


def test_a_process_that_was_not_measured_fails() -> None:
    gone = _sample(120)
    gone.rss_mb["dispatch"] = 0.0
    base = _sample(60)
    base.rss_mb["dispatch"] = 0.0
    assert _judge([base, gone])["is_flat"] is False


def test_fewer_than_two_samples_after_the_baseline_is_no_verdict() -> None:
    result = _judge([_sample(30), _sample(60)])
    assert result["is_flat"] is False
    assert "fewer than 2 samples" in str(result["why"])


def test_the_baseline_is_minute_5_for_long_runs_and_the_warm_up_for_short_ones() -> None:
    assert baseline_at_s(1800, 300, 1 / 3) == 300
    assert baseline_at_s(600, 300, 1 / 3) == 300
    assert baseline_at_s(180, 300, 1 / 3) == 60
    assert baseline_at_s(180, 300, 2 / 3) == 120


def test_the_table_names_every_process_and_the_verdict() -> None:
    samples = [_sample(60), _sample(120, {"worker": 20})]
    text = table([s.as_json() for s in samples], _judge(samples))
    assert "| t (s) | ingest | worker |" in text
    assert "worker: 100 -> peak 120 MB (limit 110): GROWS" in text
    assert text.endswith("verdict: NOT flat")
