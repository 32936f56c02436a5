"""The Kubernetes manifests rendered (the base and the EMQX overlay) and read as the cluster
would: every container runs a real `firewatch` command with real flags; every path it reads
is under one of its mounts; every ConfigMap and Secret it names is generated or created out of
band as deploy/README.md says, with the keys it asks for; the ingest StatefulSet turns each
pod's name into its bridge id and plan file; the image is the published, versioned one."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import click
import pytest
import yaml

from firewatch.bridge_plan import plan_bridges
from firewatch.cli import root
from tests.deploy.conftest import DEPLOY, ROOT
from tests.deploy.kustomize import Doc, containers, pod_spec, render

BASE, EMQX = DEPLOY / "k8s" / "base", DEPLOY / "k8s" / "overlays" / "emqx"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
_REFERENCE = re.compile(r"\$\(([A-Z0-9_]+)\)")


def _workloads(docs: list[Doc]) -> Iterator[tuple[Doc, dict[str, Any]]]:
    for doc in docs:
        for container in containers(doc):
            yield doc, container


def _by(docs: list[Doc], kind: str) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e for e in container.get("env", [])}


def _expand(value: str, env: dict[str, Any]) -> str:
    """Kubernetes' $(VAR) expansion; a reference to an undefined variable is a test failure."""
    for name in _REFERENCE.findall(value):
        assert name in env, f"$({name}) is not defined in the container's env"
    return _REFERENCE.sub(lambda m: f"<{m.group(1)}>", value)


@pytest.fixture(scope="module", params=[BASE, EMQX], ids=["base", "emqx"])
def rendered(request: pytest.FixtureRequest) -> list[Doc]:
    return render(request.param)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
@pytest.mark.parametrize("directory", [BASE, EMQX], ids=["base", "emqx"])
def test_the_rendering_agrees_with_kubectl_kustomize(directory: Path) -> None:
    out = subprocess.run(
        ["kubectl", "kustomize", str(directory)], capture_output=True, text=True, check=True
    ).stdout
    theirs = [d for d in yaml.safe_load_all(out) if d]
    ours = render(directory)

    def key(d: Doc) -> tuple[str, str]:  # kustomize suffixes generated names with a hash
        name = d["metadata"]["name"]
        return d["kind"], re.sub(r"-[a-z0-9]{10}$", "", name) if d["kind"] == "ConfigMap" else name

    assert sorted(map(key, theirs)) == sorted(map(key, ours))
    for mine, kubectl in zip(sorted(ours, key=key), sorted(theirs, key=key), strict=True):
        assert containers(mine) == containers(kubectl) or _same_but_names(mine, kubectl), key(mine)
        if mine["kind"] == "ConfigMap":
            assert mine["data"] == kubectl["data"]


def _same_but_names(mine: Doc, kubectl: Doc) -> bool:
    """Equal once kustomize's hashed ConfigMap names are put back to the plain ones."""
    text = re.sub(r"(firewatch-[a-z]+)-[a-z0-9]{10}\b", r"\1", yaml.safe_dump(containers(kubectl)))
    is_same: bool = yaml.safe_load(text) == containers(mine)
    return is_same


def test_every_container_runs_a_real_command_of_the_published_image(rendered: list[Doc]) -> None:
    ctx = click.Context(root)
    seen = set()
    for doc, container in _workloads(rendered):
        argv = container.get("args") or container.get("command") or []
        if argv[:1] != ["firewatch"]:
            continue
        assert container["image"] == f"ghcr.io/firewatch-project/firewatch:{VERSION}"
        command = root.get_command(ctx, argv[1])
        assert command is not None, argv
        args = [_expand(str(a), _env(container)) for a in argv[2:]]
        command.make_context(argv[1], args)  # unknown flags or bad values raise
        seen.add(argv[1])
        assert container["securityContext"]["readOnlyRootFilesystem"], doc["metadata"]["name"]
    assert seen == {"ingest", "worker", "dispatch", "sink"}


def _mounted(container: dict[str, Any], path: str) -> bool:
    target = PurePosixPath(path)
    for mount in container.get("volumeMounts", []):
        base = PurePosixPath(mount["mountPath"])
        if target == base or base in target.parents:
            return True
    return False


def test_every_path_a_container_reads_is_mounted(rendered: list[Doc]) -> None:
    config = _by(rendered, "ConfigMap")["firewatch-config"]["data"]
    checked = 0
    for doc, container in _workloads(rendered):
        env = _env(container)
        paths = [_expand(str(a), env) for a in container.get("args", []) if str(a).startswith("/")]
        paths += [e["value"] for e in env.values() if str(e.get("value", "")).startswith("/")]
        if "FIREWATCH_MQTT__USERNAME" in env:  # an MQTT client reads the CA the config names
            paths.append(config["FIREWATCH_MQTT__TLS_CA_FILE"])
        for path in paths:
            assert _mounted(container, path), f"{doc['metadata']['name']} reads {path} unmounted"
            checked += 1
        pod = pod_spec(doc)
        assert pod is not None
        volumes = {v["name"] for v in pod.get("volumes", [])}
        for mount in container.get("volumeMounts", []):
            assert mount["name"] in volumes, (doc["metadata"]["name"], mount["name"])
    assert checked >= 4


def _out_of_band() -> set[str]:
    """ConfigMaps and Secrets deploy/README.md tells the operator to create."""
    readme = (DEPLOY / "README.md").read_text()
    return set(
        re.findall(r"kubectl -n firewatch create (?:secret generic|configmap) (\S+)", readme)
    )


def test_every_configmap_and_secret_is_generated_or_documented(rendered: list[Doc]) -> None:
    generated = {
        d["metadata"]["name"]: d.get("data", {}) for d in rendered if d["kind"] == "ConfigMap"
    }
    documented = _out_of_band()
    example = next(yaml.safe_load_all((BASE / "secret.example.yaml").read_text()))
    secret_keys = set(example["stringData"])
    for doc, container in _workloads(rendered):
        pod = pod_spec(doc)
        assert pod is not None
        names = [v["configMap"]["name"] for v in pod.get("volumes", []) if "configMap" in v]
        names += [v["secret"]["secretName"] for v in pod.get("volumes", []) if "secret" in v]
        for source in container.get("envFrom", []):
            names += [ref["name"] for ref in source.values()]
        for entry in container.get("env", []):
            ref = entry.get("valueFrom", {})
            if "secretKeyRef" in ref:
                assert ref["secretKeyRef"]["name"] == example["metadata"]["name"]
                assert ref["secretKeyRef"]["key"] in secret_keys, entry
            if "configMapKeyRef" in ref:
                key_ref = ref["configMapKeyRef"]
                assert key_ref["key"] in generated[key_ref["name"]], entry
        for name in names:
            assert name in generated or name in documented, f"{name}: created by nobody"


def test_the_bridges_are_a_statefulset_whose_pod_name_is_the_bridge(rendered: list[Doc]) -> None:
    bridges = _by(rendered, "StatefulSet")["firewatch-ingest"]
    service = _by(rendered, "Service")[bridges["spec"]["serviceName"]]
    assert service["spec"]["clusterIP"] == "None"  # the governing (headless) Service
    [container] = containers(bridges)
    env = _env(container)
    assert env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    args = container["args"]
    assert args[args.index("--bridge-id") + 1] == "$(POD_NAME)"
    config = _by(rendered, "ConfigMap")["firewatch-config"]["data"]
    if "--share-group" in args:  # the EMQX overlay: hash_topic shares all compounds
        assert "--compounds-file" not in args
        assert "emqx" in config["FIREWATCH_MQTT__HOST"]
        volumes = bridges["spec"]["template"]["spec"]["volumes"]
        assert "firewatch-bridges" not in [v.get("configMap", {}).get("name") for v in volumes]
        return
    # Mosquitto: each pod subscribes only to the compounds of its own plan file.
    plan_file = args[args.index("--compounds-file") + 1]
    assert PurePosixPath(plan_file).name == "$(POD_NAME)"
    assert _mounted(container, plan_file)
    assert "mosquitto" in config["FIREWATCH_MQTT__HOST"]
    # `firewatch deploy bridges --bridge firewatch-ingest-0 ...` writes the files these pods
    # read: one per ordinal, named as the pods are.
    pods = [f"{bridges['metadata']['name']}-{i}" for i in range(bridges["spec"]["replicas"])]
    plan = plan_bridges([f"c{i:03}" for i in range(10)], pods)
    assert sorted(plan.files()) == pods
