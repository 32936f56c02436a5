"""deploy/ stays honest without a container engine: files parse; every `firewatch` command, flag
and FIREWATCH_* variable exists; topic partitions match the topic table; dashboards and alert
rules use only catalogued metrics, known measurements and existing runbook sections."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from pydantic import BaseModel

from events.readings import READING_MODELS
from events.topics import KAFKA_TOPICS
from firewatch.cli import root
from firewatch.settings import Settings
from runtime.metrics_catalogue import METRIC_NAMES
from tests.deploy.promql import (
    PROMETHEUS_OWN,
    dashboard_expressions,
    metric_names,
    rule_expressions,
)

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s" / "base"


def _files(*suffixes: str) -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in suffixes and p.is_file())


def _yaml_docs() -> list[tuple[Path, Any]]:
    return [(p, doc) for p in _files(".yaml", ".yml") for doc in yaml.safe_load_all(p.read_text())]


def _walk(node: Any) -> Iterator[Any]:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _firewatch_argvs() -> list[list[str]]:
    return [
        [str(a) for a in node]
        for _, doc in _yaml_docs()
        for node in _walk(doc)
        if isinstance(node, list) and node and node[0] == "firewatch"
    ]


def _subcommands() -> dict[str, click.Command]:
    ctx = click.Context(root)
    found = {name: root.get_command(ctx, name) for name in root.list_commands(ctx)}
    return {name: cmd for name, cmd in found.items() if cmd is not None}


def test_every_file_parses() -> None:
    yaml_files, json_files = _files(".yaml", ".yml"), _files(".json")
    assert len(yaml_files) >= 15
    assert len(json_files) == 3
    for path in yaml_files:
        assert list(yaml.safe_load_all(path.read_text())), path
    for path in json_files:
        assert json.loads(path.read_text())["panels"], path


def test_every_firewatch_command_and_flag_exists() -> None:
    argvs = _firewatch_argvs()
    assert len(argvs) >= 9  # compose (5 services) and Kubernetes (4 deployments)
    commands = _subcommands()
    assert {argv[1] for argv in argvs} == {"ingest", "worker", "dispatch", "sink"}
    for argv in argvs:
        name, flags = argv[1], {a.split("=")[0] for a in argv[2:] if a.startswith("--")}
        assert name in commands, f"`firewatch {name}` exists nowhere: {argv}"
        known = {o for p in commands[name].params for o in (*p.opts, *p.secondary_opts)}
        assert flags <= known, f"{argv}: unknown flags {flags - known}"
        commands[name].make_context(name, argv[2:])  # values parse too


def _setting_path_exists(path: list[str]) -> bool:
    model: type[BaseModel] = Settings
    for part in path:
        field = model.model_fields.get(part)
        if field is None:
            return False
        annotation: Any = field.annotation
        nested = [
            c
            for c in getattr(annotation, "__args__", (annotation,))
            if isinstance(c, type) and issubclass(c, BaseModel)
        ]
        model = nested[0] if nested else BaseModel
    return True


def _env_vars() -> set[str]:
    """FIREWATCH_* variables the services read; `${FIREWATCH_IMAGE}` and the like are the
    compose file's own (interpolated by Compose, never seen by a service)."""
    texts = [path.read_text() for path in _files(".yaml", ".yml", ".example", ".sh")]
    compose_own = {n for t in texts for n in re.findall(r"\$\{(FIREWATCH_[A-Z0-9_]+)", t)}
    return {n for t in texts for n in re.findall(r"\bFIREWATCH_[A-Z0-9_]+", t)} - compose_own


def test_every_environment_variable_is_a_setting() -> None:
    names = _env_vars()
    assert {
        "FIREWATCH_KAFKA__BOOTSTRAP",
        "FIREWATCH_SINK__TOKEN",
        "FIREWATCH_MQTT__HOST",
        "FIREWATCH_DISPATCH__DATABASE_URL",
        "FIREWATCH_DISPATCH__CONSOLE_HOST",
    } <= names
    for name in sorted(names):
        path = name.removeprefix("FIREWATCH_").lower().split("__")
        assert _setting_path_exists(path), f"{name} maps to no field of Settings"


def test_configmap_values_validate_as_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    literals = kustomization["configMapGenerator"][0]["literals"]
    for literal in literals:
        key, value = literal.split("=", 1)
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.kafka.flavour.value == "apache"
    assert settings.mqtt.uses_tls
    assert settings.sink.url is not None


def _created_topics(script: str) -> dict[str, tuple[int, int]]:
    found = re.findall(r"^create (\S+) (\d+) (\d+)$", script, flags=re.MULTILINE)
    return {name: (int(parts), int(retention)) for name, parts, retention in found}


def test_topic_creation_matches_the_topic_table() -> None:
    table = {s.name: (s.partitions, s.retention_ms) for s in KAFKA_TOPICS}
    compose_script = (DEPLOY / "kafka" / "create-topics.sh").read_text()
    job = next(
        doc
        for doc in yaml.safe_load_all((K8S / "topics-job.yaml").read_text())
        if doc["kind"] == "ConfigMap"
    )
    assert _created_topics(compose_script) == table
    assert _created_topics(job["data"]["create-topics.sh"]) == table


def _used_metric_names() -> dict[str, set[str]]:
    expressions = {
        **dashboard_expressions(DEPLOY / "grafana" / "dashboards"),
        **rule_expressions(DEPLOY / "prometheus" / "alerts.yml"),
    }
    assert len(expressions) >= 25
    return {where: metric_names(expr) for where, expr in expressions.items()}


def test_promql_names_are_read_as_prometheus_reads_them() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (le, kind) (rate(a_seconds_bucket{kind="x y"}[5m])))'
        " or max(b_records) by (topic) > 1e3 unless on (job) up{job='fw'} == bool 0"
        " or time() - max(c_timestamp_seconds offset 5m)"
    )
    assert metric_names(expr) == {"a_seconds_bucket", "b_records", "up", "c_timestamp_seconds"}


def test_dashboards_and_alert_rules_use_only_catalogued_metrics() -> None:
    for where, names in _used_metric_names().items():
        assert names, f"{where}: queries no metric"
        families = {re.sub(r"_(bucket|sum|count)$", "", n) for n in names - PROMETHEUS_OWN}
        assert families <= METRIC_NAMES, f"{where}: not catalogued {families - METRIC_NAMES}"


def test_dashboards_query_only_measurements_and_fields_the_sink_writes() -> None:
    fields_by_kind = {
        model.model_fields["kind"].default: set(model.model_fields) | {"transit_ms"}
        for model in READING_MODELS
    }
    pairs = [
        pair
        for path in _files(".json")
        for pair in re.findall(
            r'r\._measurement == \\"(\w+)\\" and r\._field == \\"(\w+)\\"', path.read_text()
        )
    ]
    assert len(pairs) >= 8
    for measurement, field in pairs:
        assert field in fields_by_kind[measurement], (measurement, field)


def test_dashboards_use_provisioned_datasources() -> None:
    provisioned = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "datasources" / "datasources.yaml").read_text()
    )
    uids = {d["uid"] for d in provisioned["datasources"]}
    for path in _files(".json"):
        used = {
            n["uid"]
            for n in _walk(json.loads(path.read_text()))
            if isinstance(n, dict) and "uid" in n and "type" in n
        }
        assert used <= uids, (path, used - uids)


def _slug(heading: str) -> str:
    return re.sub(r"[^a-z0-9 -]", "", heading.lower()).strip().replace(" ", "-")


def test_every_alert_rule_has_a_runbook_section() -> None:
    operations = (ROOT / "docs" / "OPERATIONS.md").read_text()
    anchors = {_slug(h) for h in re.findall(r"^#+ (.+)$", operations, flags=re.MULTILINE)}
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())["groups"][0]
    names = {rule["alert"] for rule in rules["rules"]}
    for required in ("GatewayOffline", "SequenceGaps", "DeadLettersRising", "ConsumerLag"):
        assert f"Firewatch{required}" in names
    assert {"FirewatchSinkStalled", "FirewatchCommandNotConfirmed"} <= names
    for rule in rules["rules"]:
        anchor = rule["annotations"]["runbook"].split("#", 1)[1]
        assert anchor in anchors, f"{rule['alert']}: no section #{anchor} in docs/OPERATIONS.md"


def _k8s_docs() -> list[dict[str, Any]]:
    return [doc for path, doc in _yaml_docs() if K8S in path.parents and "kind" in doc]


def test_kubernetes_deployments_have_probes_resources_and_budgets() -> None:
    docs = _k8s_docs()
    workloads = ("Deployment", "StatefulSet")  # ingest is a StatefulSet: stable bridge ids
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] in workloads}
    assert set(deployments) >= {f"firewatch-{n}" for n in ("ingest", "worker", "dispatch", "sink")}
    for name, deployment in deployments.items():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
                assert container[probe]["httpGet"]["port"] == "metrics", (name, probe)
                assert container[probe]["httpGet"]["path"] == path, (name, probe)
            assert set(container["resources"]) == {"requests", "limits"}, name
    hpa = next(d for d in docs if d["kind"] == "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "firewatch-worker"
    readings = next(s for s in KAFKA_TOPICS if s.name == "fw.readings.v1")
    assert hpa["spec"]["maxReplicas"] <= readings.partitions  # more workers would idle
    budgets = [d for d in docs if d["kind"] == "PodDisruptionBudget"]
    labels = [d["spec"]["template"]["metadata"]["labels"] for d in deployments.values()]
    for budget in budgets:
        selector = budget["spec"]["selector"]["matchLabels"]
        assert any(selector.items() <= lab.items() for lab in labels), budget["metadata"]["name"]
    assert any(b["metadata"]["name"] == "firewatch-worker" for b in budgets)
    # Dispatch without a single point of failure (issue 16.4): two peers, replaced one at a
    # time, one always left; each pod's name is its MQTT user (client id bound to the user).
    dispatch = deployments["firewatch-dispatch"]
    assert dispatch["kind"] == "StatefulSet"
    assert dispatch["spec"]["replicas"] == 2
    assert dispatch["spec"]["updateStrategy"]["type"] == "RollingUpdate"
    env = {e["name"]: e for e in dispatch["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["FIREWATCH_MQTT__USERNAME"]["value"] == "$(POD_NAME)"
    assert any(
        b["metadata"]["name"] == "firewatch-dispatch" and b["spec"].get("minAvailable") == 1
        for b in budgets
    )
    services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
    console = services["firewatch-console"]["spec"]
    assert console["selector"]["app.kubernetes.io/component"] == "dispatch"
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    for resource in kustomization["resources"]:
        assert (K8S / resource).is_file(), resource


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
def test_kustomize_renders_the_base() -> None:
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, check=True
    ).stdout
    kinds = re.findall(r"^kind: (\w+)$", rendered, flags=re.MULTILINE)
    assert kinds.count("Deployment") == 2  # worker, sink (ingest and dispatch: StatefulSets)
    assert kinds.count("StatefulSet") == 2
    assert {"HorizontalPodAutoscaler", "PodDisruptionBudget", "Job", "ConfigMap"} <= set(kinds)


def test_compose_kafka_is_three_kraft_nodes_that_agree_on_voters() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    brokers = {n: s for n, s in compose["services"].items() if re.fullmatch(r"kafka-\d", n)}
    assert len(brokers) == 3
    for name, service in brokers.items():
        env = service["environment"]
        voter = f"{env['KAFKA_NODE_ID']}@{name}:9093"
        assert voter in env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(","), name
    ingest = [s for n, s in compose["services"].items() if n.startswith("ingest-")]
    assert len(ingest) == 2
    # Mosquitto: one bridge per set of compounds, never a shared subscription (test_compose.py).
    assert all("--compounds-file" in s["command"] for s in ingest)
    dispatchers = [s for n, s in compose["services"].items() if n.startswith("dispatch-")]
    assert "console" not in compose["services"]
    assert len(dispatchers) == 2  # no single point of failure (issue 16.4)
    for dispatch in dispatchers:
        assert dispatch["command"][:2] == ["firewatch", "dispatch"]
        assert "--console-port" in dispatch["command"]
        assert dispatch["environment"]["FIREWATCH_DISPATCH__CONSOLE_HOST"] == "0.0.0.0"
    # One MQTT user and one instance id (host name) each.
    assert len({d["environment"]["FIREWATCH_MQTT__USERNAME"] for d in dispatchers}) == 2
    assert len({d["hostname"] for d in dispatchers}) == 2
