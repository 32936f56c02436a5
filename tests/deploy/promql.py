"""The metric names a dashboard panel or an alert rule queries, read from its PromQL.

No PromQL parser is packaged for Python here, and promtool parses but does not list names, so
this reads the few constructs deploy/ uses: strings, label matchers `{...}`, ranges `[...]`
and grouping clauses `by (...)` are removed; every identifier left that is not a function
(followed by `(`), a keyword or a number is a metric name. promtool checks the same
expressions' syntax (tests/deploy/test_prometheus.py), so a name this misses would be in an
expression promtool refused.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

_STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|`[^`]*`")
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENT = re.compile(r"(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*")
_KEYWORDS = frozenset({"and", "or", "unless", "bool", "offset", "inf", "nan"})
# Series Prometheus makes itself, not a service: `up` of every scrape target.
PROMETHEUS_OWN = frozenset({"up"})


def metric_names(expr: str) -> set[str]:
    text = _STRING.sub('""', expr)
    for pattern in (_MATCHERS, _RANGE, _GROUPING):
        text = pattern.sub(" ", text)
    names = set()
    for match in _IDENT.finditer(text):
        is_function = text[match.end() :].lstrip().startswith("(")
        if not is_function and match[0].lower() not in _KEYWORDS:
            names.add(match[0])
    return names


def dashboard_expressions(dashboards: Path) -> dict[str, str]:
    """`file: panel title` -> PromQL of every Prometheus target."""
    found = {}
    for path in sorted(dashboards.glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            for i, target in enumerate(panel.get("targets", [])):
                if "expr" in target:
                    found[f"{path.name}: {panel['title']} #{i}"] = target["expr"]
    return found


def rule_expressions(rules: Path) -> dict[str, str]:
    """alert name -> PromQL of every rule of the file."""
    groups = yaml.safe_load(rules.read_text())["groups"]
    return {r.get("alert", r.get("record")): r["expr"] for g in groups for r in g["rules"]}
