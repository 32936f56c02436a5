"""The scrape check of tests/deploy/test_compose_start.py reads an exposition as Prometheus
does, and names the panel or alert whose metric nobody exports."""

from __future__ import annotations

from tests.deploy.scrape import Exported, missing, queried_names

_EXPOSITION = """\
# HELP firewatch_dispatch_pages_total pages sent
# TYPE firewatch_dispatch_pages_total counter
# HELP firewatch_dispatch_alert_handle_seconds time to handle one alert
# TYPE firewatch_dispatch_alert_handle_seconds histogram
firewatch_dispatch_alert_handle_seconds_bucket{le="+Inf"} 3.0
firewatch_dispatch_alert_handle_seconds_count 3.0
firewatch_dispatch_alert_handle_seconds_sum 0.01
# HELP firewatch_sink_stalled 1 while writes fail
# TYPE firewatch_sink_stalled gauge
firewatch_sink_stalled 0.0
"""


def test_a_labelled_counter_without_samples_is_declared_and_histograms_have_their_series() -> None:
    exported = Exported()
    exported.add(_EXPOSITION)
    assert "firewatch_dispatch_pages_total" in exported.declared  # no event yet, still there
    assert "firewatch_dispatch_pages_total" not in exported.samples
    assert {"firewatch_dispatch_alert_handle_seconds_bucket", "firewatch_sink_stalled"} <= (
        exported.declared
    )
    assert exported.samples["firewatch_dispatch_alert_handle_seconds_count"] == 3.0


def test_every_panel_and_alert_missing_a_name_is_named() -> None:
    exported = Exported()
    exported.add(_EXPOSITION)
    gaps = missing(exported)
    assert "FirewatchSinkStalled" in gaps  # its last-write gauge is not in this exposition
    assert gaps["FirewatchSinkStalled"] == {"firewatch_sink_last_write_timestamp_seconds"}
    assert "FirewatchNotificationFailures" not in gaps
    everything = Exported(declared=set().union(*queried_names().values()))
    assert missing(everything) == {}
