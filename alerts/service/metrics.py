"""Prometheus metrics of the dispatch service, created from runtime/metrics_catalogue.py, and
what one applied step of the core changes in them."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Mapping, Sequence
from typing import Any

from prometheus_client import CollectorRegistry

from alerts.linkage import CommandState
from alerts.service.dispatcher import Dispatcher
from alerts.service.effects import Effects
from events.alerts import Severity
from runtime.metrics_catalogue import counter, gauge, histogram

_HANDLE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


class DispatchMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = r = registry or CollectorRegistry()
        self.alerts = counter("firewatch_dispatch_alerts_total", r)
        self.pages = counter("firewatch_dispatch_pages_total", r)
        self.open_incidents = gauge("firewatch_dispatch_open_incidents", r)
        self.open_work_orders = gauge("firewatch_dispatch_open_work_orders", r)
        self.pending_commands = gauge("firewatch_dispatch_pending_commands", r)
        self.commands_unconfirmed = counter("firewatch_dispatch_commands_unconfirmed_total", r)
        self.handle_seconds = histogram(
            "firewatch_dispatch_alert_handle_seconds", r, buckets=_HANDLE_BUCKETS
        )
        self.dead_letters = counter("firewatch_dispatch_dead_letters_total", r)
        self.consumer_lag = gauge("firewatch_dispatch_consumer_lag_records", r)
        self._order_kinds: set[str] = set()
        self._next_offsets: dict[Any, int] = {}
        for severity in Severity:  # every series from the start: an absent one reads as "no data"
            self.open_incidents.labels(severity.value).set(0)

    def observe_step(self, dispatcher: Dispatcher, fx: Effects) -> None:
        """After the shell applied `fx`: the gauges follow the core's state; a command whose
        read-back deadline passed counts once (FirewatchCommandNotConfirmed, P1)."""
        by_severity = Tally(i.severity.value for i in dispatcher.open_incidents())
        for severity in Severity:
            self.open_incidents.labels(severity.value).set(by_severity[severity.value])
        orders = Tally(w.kind.value for w in dispatcher.work_orders() if w.is_open)
        self._order_kinds |= set(orders)
        for kind in self._order_kinds:  # a kind that closed reads 0, not its last count
            self.open_work_orders.labels(kind).set(orders[kind])
        self.pending_commands.set(len(dispatcher.commands))
        for pending in fx.command_states:
            if pending.state is CommandState.NOT_CONFIRMED:
                self.commands_unconfirmed.labels(pending.command.action.value).inc()

    def observe_lag(self, consumer: Any, batches: Mapping[Any, Sequence[Any]]) -> None:
        """Records behind the high-water marks of the partitions this consumer holds, from
        the offsets it was handed (a partition not read from yet counts once it is)."""
        for tp, records in batches.items():
            if records:
                self._next_offsets[tp] = records[-1].offset + 1
        lag = 0
        for tp in consumer.assignment():
            high, consumed = consumer.highwater(tp), self._next_offsets.get(tp)
            if high is not None and consumed is not None:
                lag += max(0, high - consumed)
        self.consumer_lag.set(lag)
