"""deploy/compose.yaml read as Docker Compose reads it, without a container engine.

Variables are interpolated from the generated env file (`${VAR}`, `${VAR:-default}`,
`${VAR:?error}`); YAML anchors and merge keys are PyYAML's. A service's mounts map a path
inside its container to the host file or directory that provides it: that mapping is how the
start test runs a service "in its container" on this machine, and why a path no mount
provides fails the test instead of being found by luck on the host.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

_VARIABLE = re.compile(r"\$\{([A-Za-z0-9_]+)(?:(:?[-?])([^}]*))?\}")


class Unmounted(LookupError):
    """A container path that no mount of the service provides."""


def interpolate(text: str, env: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        current = env.get(name)
        if op and op.endswith("?") and not current:
            raise KeyError(f"${{{name}}} is required: {arg}")
        if op and op.endswith("-") and not current:
            return arg
        return current or ""

    return _VARIABLE.sub(value, text)


def variables(text: str) -> dict[str, str | None]:
    """Every ${VAR} of the text -> its default (None: it has none)."""
    out: dict[str, str | None] = {}
    for name, op, arg in _VARIABLE.findall(text):
        out[name] = arg if op.endswith("-") else out.get(name)
    return out


@dataclass(frozen=True)
class Mount:
    kind: str  # "bind", "volume", "tmpfs"
    source: str  # host path relative to deploy/, volume name, or "" for tmpfs
    target: PurePosixPath
    is_read_only: bool


def _parse_mount(spec: str) -> Mount:
    parts = spec.split(":")
    source, target = parts[0], PurePosixPath(parts[1])
    is_ro = len(parts) > 2 and "ro" in parts[2].split(",")
    kind = "bind" if source.startswith((".", "/")) else "volume"
    return Mount(kind, source, target, is_ro)


@dataclass
class Service:
    name: str
    spec: dict[str, Any]
    mounts: list[Mount] = field(default_factory=list)

    @property
    def command(self) -> list[str]:
        return [str(a) for a in self.spec.get("command") or []]

    @property
    def environment(self) -> dict[str, str]:
        return {k: str(v) for k, v in (self.spec.get("environment") or {}).items()}

    def mount_for(self, path: str | PurePosixPath) -> tuple[Mount, PurePosixPath]:
        """The mount providing `path` (the deepest one) and the path relative to its target."""
        path = PurePosixPath(path)
        found = [m for m in self.mounts if path == m.target or m.target in path.parents]
        if not found:
            raise Unmounted(f"{self.name} reads {path}, which no mount provides")
        mount = max(found, key=lambda m: len(m.target.parts))
        return mount, path.relative_to(mount.target)


@dataclass
class Compose:
    directory: Path
    data: dict[str, Any]

    @property
    def services(self) -> dict[str, Service]:
        out = {}
        for name, spec in self.data["services"].items():
            mounts = [_parse_mount(v) for v in spec.get("volumes") or []]
            mounts += [Mount("tmpfs", "", PurePosixPath(t), False) for t in spec.get("tmpfs") or []]
            out[name] = Service(name, spec, mounts)
        return out

    def firewatch_services(self) -> dict[str, Service]:
        return {n: s for n, s in self.services.items() if s.command[:1] == ["firewatch"]}


def load(directory: Path, env: dict[str, str]) -> Compose:
    text = interpolate((directory / "compose.yaml").read_text(encoding="utf-8"), env)
    return Compose(directory, yaml.safe_load(text))
