"""Prometheus metrics of the dispatch service (names prefixed firewatch_dispatch_)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class DispatchMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.alerts = Counter(
            "firewatch_dispatch_alerts",
            "alert records consumed: applied (incident, task or work order moved) or ignored",
            ["result"],
            registry=r,
        )
        self.pages = Counter("firewatch_dispatch_pages", "pages sent", ["result"], registry=r)
        self.open_incidents = Gauge("firewatch_dispatch_open_incidents", "open incidents",
                                    registry=r)  # fmt: skip
        self.open_work_orders = Gauge(
            "firewatch_dispatch_open_work_orders",
            "maintenance work orders not done (never paged)",
            registry=r,
        )
        self.pending_commands = Gauge("firewatch_dispatch_pending_commands",
                                      "commands awaiting read-back", registry=r)  # fmt: skip
        self.handle_seconds = Histogram(
            "firewatch_dispatch_alert_handle_seconds", "time to handle one alert record",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
            registry=r,
        )  # fmt: skip
        self.dead_letters = Counter("firewatch_dispatch_dead_letters",
                                    "alert records that did not decode", registry=r)  # fmt: skip
