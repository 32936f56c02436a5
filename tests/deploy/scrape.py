"""What running services export on /metrics, as Prometheus would store it, and what the
dashboards and alert rules of deploy/ ask of it (issue #16 item 2: metrics that exist)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from prometheus_client.parser import text_string_to_metric_families

from events.connections import MqttConnection
from simulators import runner, scenarios
from tests.deploy.conftest import DEPLOY
from tests.deploy.promql import (
    PROMETHEUS_OWN,
    dashboard_expressions,
    metric_names,
    rule_expressions,
)
from tests.polling import wait_for

# Series a family of each type may be queried by (`rate(x_seconds_bucket[5m])`, ...).
_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "gauge": ("",),
}


@dataclass
class Exported:
    """Across every scraped service: names declared (a `# TYPE` line, with or without a
    sample yet: a labelled counter has none until its first event) and sample values."""

    declared: set[str] = field(default_factory=set)
    samples: dict[str, float] = field(default_factory=dict)  # series name -> sum over labels

    def add(self, text: str) -> None:
        for family in text_string_to_metric_families(text):
            self.declared |= {family.name + s for s in _SUFFIXES.get(family.type, ("",))}
            for sample in family.samples:
                self.declared.add(sample.name)
                self.samples[sample.name] = self.samples.get(sample.name, 0.0) + sample.value


def scrape(ports: list[int]) -> Exported:
    exported = Exported()
    for port in ports:
        res = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        res.raise_for_status()
        exported.add(res.text)
    return exported


def queried_names() -> dict[str, set[str]]:
    """Where (dashboard panel or alert) -> the metric names its PromQL reads."""
    expressions = {
        **dashboard_expressions(DEPLOY / "grafana" / "dashboards"),
        **rule_expressions(DEPLOY / "prometheus" / "alerts.yml"),
    }
    return {where: metric_names(expr) - PROMETHEUS_OWN for where, expr in expressions.items()}


def missing(exported: Exported) -> dict[str, set[str]]:
    """Every panel and alert that queries a name no service exports, with those names."""
    found = {where: names - exported.declared for where, names in queried_names().items()}
    return {where: names for where, names in found.items() if names}


# What the flat fire makes each service count: readings bridged, records and alerts in the
# worker, alerts applied and pages sent in dispatch, points written by the sink.
_FLOWED = (
    "firewatch_ingest_received_total",
    "firewatch_ingest_published_total",
    "firewatch_streams_events_total",
    "firewatch_streams_alerts_total",
    "firewatch_dispatch_alerts_total",
    "firewatch_dispatch_pages_total",
    "firewatch_sink_points_written_total",
)


async def flat_fire_then_scrape(gateways: MqttConnection, ports: list[int]) -> Exported:
    """The flat fire published by its gateways; once every service counted it, the scrape."""
    scenario = scenarios.load_named("flat_fire")
    # Device times end now: inside the bridge's window of accepted readings.
    start = datetime.now(UTC) - timedelta(seconds=scenario.duration_s + 60)
    result = await runner.run_scenario(scenario, gateways, start_at=start)
    assert result.messages > 0

    async def has_flowed() -> bool:
        exported = await asyncio.to_thread(scrape, ports)
        return all(exported.samples.get(name, 0) > 0 for name in _FLOWED)

    await wait_for(has_flowed, 180, what="the fire counted by every service")
    return await asyncio.to_thread(scrape, ports)
