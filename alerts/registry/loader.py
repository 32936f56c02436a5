"""Load a registry directory of YAML files; every error names the file and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from alerts.errors import RegistryError
from alerts.registry.models import Compound, District, Station, Street
from alerts.registry.registry import Registry

EXAMPLE_DIR = Path(__file__).parent / "example"

_SECTIONS: dict[str, type[BaseModel]] = {
    "stations": Station,
    "compounds": Compound,
    "streets": Street,
    "districts": District,
}
# Sections other loaders read from the same directory (patrol rounds: alerts/hazards/patrols.py).
_OTHER_SECTIONS = frozenset({"patrols"})


def load_registry(directory: Path) -> Registry:
    """Read every *.yaml in `directory`; each file holds any of the top-level sections
    `stations`, `compounds`, `streets`, `districts`, `travel_time_s`. A floor plan's `svg`
    names a drawing in the same directory."""
    if not directory.is_dir():
        raise RegistryError(f"registry directory {directory} does not exist")
    items: dict[str, list[Any]] = {name: [] for name in _SECTIONS}
    travel: dict[str, dict[str, float]] = {}
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise RegistryError(f"registry directory {directory} holds no *.yaml files")
    for path in files:
        doc = _read(path)
        for key, value in doc.items():
            if key == "travel_time_s":
                travel.update(value or {})
                continue
            if key in _OTHER_SECTIONS:
                continue
            model = _SECTIONS.get(key)
            if model is None:
                raise RegistryError(f"{path.name}: unknown section {key!r}")
            for i, raw in enumerate(value or []):
                items[key].append(_validate(model, raw, f"{path.name}: {key}[{i}]"))
    try:
        return Registry(
            stations=tuple(items["stations"]),
            compounds=tuple(items["compounds"]),
            streets=tuple(items["streets"]),
            districts=tuple(items["districts"]),
            travel_time_s=travel,
            base_dir=directory,
        )
    except RegistryError as exc:
        raise RegistryError(f"{directory}: {exc}") from None


def _read(path: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path.name}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise RegistryError(f"{path.name}: expected a mapping of sections at the top level")
    return doc


def _validate(model: type[BaseModel], raw: Any, where: str) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        errs = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(record)'}: {e['msg']}"
            for e in exc.errors(include_url=False)[:5]
        )
        raise RegistryError(f"{where}: {errs}") from None
