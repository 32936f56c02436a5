"""A small kustomize, enough for deploy/k8s: resources (files and directories), namespace,
labels, configMapGenerator (create and merge), images, and JSON 6902 patches.

So the manifests are rendered and checked where no kubectl is installed (Debian's
kubernetes-client is 1.20, whose kustomize predates `labels:`). Where kubectl is installed,
the tests compare this rendering with `kubectl kustomize` so the two cannot drift apart.
Generated ConfigMaps keep their plain names (kustomize adds a content hash and rewrites the
references: the same wiring under another name).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

Doc = dict[str, Any]
_CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding"}


def render(directory: Path) -> list[Doc]:
    spec = yaml.safe_load((directory / "kustomization.yaml").read_text())
    docs: list[Doc] = []
    for resource in spec.get("resources", []):
        path = directory / resource
        if path.is_dir():
            docs += render(path)
        else:
            docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    for generator in spec.get("configMapGenerator", []):
        _generate(docs, generator)
    for patch in spec.get("patches", []):
        _patch(docs, patch)
    for doc in docs:
        _apply_common(doc, spec)
    return docs


def _generate(docs: list[Doc], generator: dict[str, Any]) -> None:
    data = dict(literal.split("=", 1) for literal in generator.get("literals", []))
    name = generator["name"]
    if generator.get("behavior") == "merge":
        existing = next(d for d in docs if d["kind"] == "ConfigMap" and _name(d) == name)
        existing["data"].update(data)
        return
    docs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data})


def _name(doc: Doc) -> str:
    return str(doc["metadata"]["name"])


def _patch(docs: list[Doc], patch: dict[str, Any]) -> None:
    target = patch["target"]
    ops = yaml.safe_load(patch["patch"])
    for doc in docs:
        if doc["kind"] == target.get("kind") and _name(doc) == target.get("name"):
            for op in ops:
                _json6902(doc, op)


def _json6902(doc: Doc, op: dict[str, Any]) -> None:
    *parents, last = [int(p) if p.isdigit() else p for p in op["path"].strip("/").split("/")]
    node: Any = doc
    for part in parents:
        node = node[part]
    if op["op"] == "test":
        assert node[last] == op["value"], f"patch test failed at {op['path']}: {node[last]!r}"
    elif op["op"] == "replace":
        node[last] = copy.deepcopy(op["value"])
    elif op["op"] == "remove":
        del node[last]
    elif op["op"] == "add":
        if isinstance(node, list):
            node.insert(len(node) if last == "-" else int(last), copy.deepcopy(op["value"]))
        else:
            node[last] = copy.deepcopy(op["value"])
    else:
        raise NotImplementedError(op["op"])


def _apply_common(doc: Doc, spec: dict[str, Any]) -> None:
    meta = doc.setdefault("metadata", {})
    if spec.get("namespace") and doc["kind"] not in _CLUSTER_SCOPED:
        meta["namespace"] = spec["namespace"]
    for entry in spec.get("labels", []):
        meta.setdefault("labels", {}).update(entry["pairs"])
    images = {i["name"]: i for i in spec.get("images", [])}
    for container in containers(doc):
        name = str(container["image"]).split("@")[0].rsplit(":", 1)[0]
        if name in images:
            image = images[name]
            container["image"] = f"{image.get('newName', name)}:{image['newTag']}"


def pod_spec(doc: Doc) -> dict[str, Any] | None:
    spec = doc.get("spec", {})
    if doc["kind"] in {"Deployment", "StatefulSet", "DaemonSet", "Job"}:
        pod: dict[str, Any] = spec["template"]["spec"]
        return pod
    return None


def containers(doc: Doc) -> list[dict[str, Any]]:
    pod = pod_spec(doc)
    return list(pod["containers"]) if pod else []
