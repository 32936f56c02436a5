"""The compose file as it would start (issue #16 item 1), checked without a container engine:
every file a broker or service reads is mounted, and each mount comes from the repository, from
`firewatch deploy` (secrets, bridge plan) or from the site's registry; every variable is one
`firewatch deploy secrets` generates; one bridge per set of compounds, ids unique, no two
bridges on one Mosquitto shared subscription; the image is a real, versioned, locked one."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path, PurePosixPath

import yaml

from alerts.registry import load_registry
from firewatch.deploy_secrets import PASSWD_FILE, read_env
from ingest.registry import load_registry as load_id_file
from tests.deploy.compose import Service, variables
from tests.deploy.conftest import DEPLOY, GENERATED, ROOT, SITE_DATA, Site

VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
# Mosquitto directives that name a file or directory it reads (mosquitto.conf(5)).
_MOSQUITTO_PATHS = (
    *("cafile", "capath", "certfile", "keyfile", "crlfile", "dhparamfile"),
    *("password_file", "acl_file", "psk_file", "persistence_location"),
)


def _argument(service: Service, flag: str) -> str | None:
    command = service.command
    return command[command.index(flag) + 1] if flag in command else None


def test_every_bind_mount_is_in_the_repository_or_generated(site: Site) -> None:
    kinds: dict[str, int] = {}
    for service in site.compose.services.values():
        for mount in service.mounts:
            if mount.kind != "bind":
                continue
            top = PurePosixPath(mount.source).parts[0]  # "./secrets/..." -> "secrets"
            if top in GENERATED or top in SITE_DATA:
                assert (site.deploy / mount.source).exists(), (service.name, mount)
                kinds[top] = kinds.get(top, 0) + 1
            else:
                assert (DEPLOY / mount.source).exists(), f"{service.name}: {mount.source} missing"
                kinds["repository"] = kinds.get("repository", 0) + 1
            assert mount.is_read_only, f"{service.name} may write to {mount.source}"
            assert not mount.source.endswith("ca.key"), "the CA's private key stays on the host"
    assert set(kinds) == {"repository", "secrets", "bridges", "registry"}, kinds


def _mosquitto_conf(site: Site) -> tuple[Service, str]:
    broker = site.compose.services["mosquitto"]
    assert broker.command[:2] == ["mosquitto", "-c"]
    mount, rest = broker.mount_for(broker.command[2])
    return broker, (site.deploy / mount.source / rest).read_text()


def test_mosquitto_reads_only_what_its_service_mounts(site: Site) -> None:
    broker, conf = _mosquitto_conf(site)
    named = re.findall(rf"^({'|'.join(_MOSQUITTO_PATHS)})\s+(\S+)", conf, flags=re.MULTILINE)
    expected = {"cafile", "certfile", "keyfile", "password_file", "acl_file"}
    assert {d for d, _ in named} >= {*expected, "persistence_location"}
    for directive, path in named:
        mount, rest = broker.mount_for(path)  # raises when no mount provides it
        if directive == "persistence_location":
            assert mount.kind == "volume", "sessions must survive a new container"
            assert not mount.is_read_only
        else:
            assert (site.deploy / mount.source / rest).is_file(), (directive, path)
    users = {line.split(":", 1)[0] for line in (site.deploy / "secrets" / PASSWD_FILE).open()}
    for service in site.compose.firewatch_services().values():
        username = service.environment.get("FIREWATCH_MQTT__USERNAME")
        assert username is None or username in users, f"{service.name}: no password entry"


def test_every_variable_is_generated_and_the_image_is_versioned(site: Site) -> None:
    used = variables((DEPLOY / "compose.yaml").read_text())
    required = {name for name, default in used.items() if default is None}
    example = set(read_env(DEPLOY / ".env.example"))
    assert required == example
    assert set(site.env) == example  # `firewatch deploy secrets` wrote every one
    assert all(len(value) >= 32 for value in site.env.values())
    assert used["FIREWATCH_IMAGE"] == f"ghcr.io/firewatch-project/firewatch:{VERSION}"
    kustomization = yaml.safe_load((DEPLOY / "k8s" / "base" / "kustomization.yaml").read_text())
    [image] = kustomization["images"]
    assert f"{image['newName']}:{image['newTag']}" == used["FIREWATCH_IMAGE"]
    for service in site.compose.firewatch_services().values():
        assert service.spec["image"] == used["FIREWATCH_IMAGE"], service.name


def test_one_bridge_per_set_of_compounds(site: Site) -> None:
    bridges = {n: s for n, s in site.compose.firewatch_services().items() if "ingest" in s.command}
    assert len(bridges) >= 2
    ids = [_argument(s, "--bridge-id") for s in bridges.values()]
    assert None not in ids
    assert len(set(ids)) == len(ids), f"bridge ids must be unique: {ids}"
    compounds = {c.compound_id for c in load_registry(site.deploy / "registry").compounds}
    carried: list[str] = []
    for bridge_id, service in zip(ids, bridges.values(), strict=True):
        # Never two bridges on one Mosquitto shared subscription: it deals round-robin.
        assert "--share-group" not in service.command
        assert "FIREWATCH_INGEST__SHARE_GROUP" not in service.environment
        plan = _argument(service, "--compounds-file")
        assert plan is not None, service.name
        mount, rest = service.mount_for(plan)
        assert mount.source == f"./bridges/{bridge_id}", "the plan file named by the bridge id"
        carried += load_id_file(site.deploy / mount.source / rest)
    assert sorted(carried) == sorted(compounds)  # each compound on exactly one bridge
    scraped = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    names = scraped["scrape_configs"][0]["dns_sd_configs"][0]["names"]
    assert set(bridges) <= set(names), "Prometheus scrapes every bridge"


def test_the_image_installs_only_the_hashed_lock() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    steps = [line for line in dockerfile.splitlines() if line.startswith(("RUN", "COPY"))]
    lock = next(i for i, s in enumerate(steps) if "--require-hashes -r requirements.lock" in s)
    own = next(i for i, s in enumerate(steps) if "pip install" in s and " ." in s)
    assert lock < own
    assert "--no-deps" in steps[own]
    assert "--no-build-isolation" in steps[own]  # the locked setuptools builds it
    pins = _lock_pins(ROOT / "requirements.lock")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = [*project["project"]["dependencies"], *project["build-system"]["requires"]]
    for requirement in wanted:
        name = re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0]
        assert _normal(name) in pins, f"{name} is not pinned in requirements.lock"


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _lock_pins(path: Path) -> dict[str, str]:
    """name -> version; every requirement pinned with == and at least one sha256 hash."""
    text = path.read_text().replace("\\\n", " ")
    pins = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==(\S+)", line)
        assert match, f"not pinned: {line[:80]}"
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", line), f"no hash: {line[:80]}"
        pins[_normal(match.group(1).split("[")[0])] = match.group(2)
    return pins
