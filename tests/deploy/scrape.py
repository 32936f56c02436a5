"""What running services export on /metrics, as Prometheus would store it, and what the
dashboards and alert rules of deploy/ ask of it (issue #16 item 2: metrics that exist)."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.deploy.conftest import DEPLOY
from tests.deploy.promql import (
    PROMETHEUS_OWN,
    dashboard_expressions,
    metric_names,
    rule_expressions,
)

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
