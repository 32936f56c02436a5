"""The Prometheus files as Prometheus reads them: `promtool check rules`, the rules' unit tests
(`promtool test rules`, tests/deploy/prometheus/alerts_test.yml: each alert fires on its runbook
condition after its `for:`, not before), and `promtool check config` of prometheus.yml with the
rule files where the compose file mounts them. promtool is Debian's `prometheus` package
(scripts/setup-system.sh installs it)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from firewatch.deploy_secrets import read_env
from tests.deploy.compose import load
from tests.deploy.conftest import DEPLOY
from tests.deploy.promql import dashboard_expressions

HERE = Path(__file__).parent
RULES = DEPLOY / "prometheus" / "alerts.yml"
RULE_TESTS = HERE / "prometheus" / "alerts_test.yml"


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        reason = "promtool not installed (Debian package prometheus; make setup installs it)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide this: {reason}")
        pytest.skip(reason)
    return found


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)


def test_alert_rules_pass_promtool_check(promtool: str) -> None:
    done = _run(promtool, "check", "rules", str(RULES))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_every_alert_fires_on_its_condition_and_not_before(promtool: str) -> None:
    rules = yaml.safe_load(RULES.read_text())
    alerts = {r["alert"] for g in rules["groups"] for r in g["rules"] if "alert" in r}
    tests = yaml.safe_load(RULE_TESTS.read_text())["tests"]
    tested = {t["alertname"] for case in tests for t in case["alert_rule_test"]}
    assert alerts == tested, f"alerts without a unit test: {alerts - tested}"
    done = _run(promtool, "test", "rules", str(RULE_TESTS))
    assert done.returncode == 0, done.stdout + done.stderr


def test_prometheus_config_checks_with_the_rules_where_compose_mounts_them(
    promtool: str, tmp_path: Path
) -> None:
    service = load(DEPLOY, read_env(DEPLOY / ".env.example")).services["prometheus"]
    config_mount, _ = service.mount_for("/etc/prometheus/prometheus.yml")
    config = yaml.safe_load((DEPLOY / config_mount.source).read_text())
    rule_files = []
    for path in config["rule_files"]:
        mount, rest = service.mount_for(path)  # a rule file no mount provides fails here
        rule_files.append(str(DEPLOY / mount.source / rest))
    config["rule_files"] = rule_files
    rendered = tmp_path / "prometheus.yml"
    rendered.write_text(yaml.safe_dump(config))
    done = _run(promtool, "check", "config", str(rendered))
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_dashboard_expression_parses_as_promql(promtool: str, tmp_path: Path) -> None:
    """Grafana sends the panels' PromQL to Prometheus as written: promtool parses each as the
    expression of a recording rule (a syntax error fails here, not on a station's screen)."""
    expressions = dashboard_expressions(DEPLOY / "grafana" / "dashboards")
    assert len(expressions) >= 15
    rules = [{"record": f"panel:{i}", "expr": e} for i, e in enumerate(expressions.values())]
    rendered = tmp_path / "panels.yml"
    rendered.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]}))
    done = _run(promtool, "check", "rules", str(rendered))
    assert done.returncode == 0, done.stdout + done.stderr
