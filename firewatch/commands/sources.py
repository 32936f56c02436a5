"""Inputs of the simulator commands, loaded with errors a user can act on: scenarios (unknown
names list the valid ones), fleets, data sets, ISO times. Every failure is an InputError
(exit 3) or a UsageError (exit 2) naming the file and, where there is one, the line."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from firewatch.commands.failures import InputError, UsageError

if TYPE_CHECKING:
    from simulators.datasets import Converted
    from simulators.fleet import Fleet
    from simulators.scenarios import Scenario

DATASETS = ("ulfsri", "smoke-iot", "runaway")
T = TypeVar("T")


def scenario_names() -> list[str]:
    from simulators import scenarios

    return [p.stem for p in scenarios.shipped()]


def load_scenario(name: str) -> Scenario:
    """A shipped scenario by name, or a scenario file (.yaml/.yml)."""
    from simulators import scenarios

    path = Path(name)
    if path.suffix not in (".yaml", ".yml"):
        if name not in scenario_names():
            valid = ", ".join(scenario_names())
            raise InputError(f"unknown scenario {name!r}; valid names: {valid} (or a .yaml file)")
        path = scenarios.SCENARIOS_DIR / f"{name}.yaml"
    if not path.is_file():
        raise InputError(f"{path}: no such scenario file")
    return _validated(path, scenarios.load)


def load_fleet_file(name: str) -> Fleet:
    from simulators.fleet import load_fleet

    if name != "example" and not Path(name).is_file():
        raise InputError(f"{name}: no such fleet file (or 'example')")
    return _validated(Path(name), load_fleet) if name != "example" else load_fleet(name)


def _validated(path: Path, loader: Callable[[Path], T]) -> T:
    import yaml
    from pydantic import ValidationError

    try:
        return loader(path)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise InputError(f"{path}{line}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{path}: {where}: {first['msg']}") from None
    except (TypeError, AttributeError) as exc:  # a YAML list or scalar where a mapping belongs
        raise InputError(f"{path}: not a mapping of fields ({exc})") from None


def convert_dataset(dataset: str, source: Path | None) -> Converted:
    from simulators.datasets import runaway, smoke_iot, ulfsri

    if source is None:
        raise UsageError("--dataset needs --source (the data set file or folder)")
    if not source.exists():
        raise InputError(f"{source}: no such file or folder")
    converters: dict[str, Callable[[Path], Converted]] = {
        "ulfsri": ulfsri.convert,
        "smoke-iot": smoke_iot.convert,
        "runaway": runaway.convert,
    }
    convert = converters[dataset]
    try:
        return convert(source)
    except (ValueError, KeyError, IndexError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise InputError(
            f"{source}: not a {dataset} data set ({type(exc).__name__}: {exc})"
        ) from None


def parse_time(text: str | None, flag: str = "--start-at") -> datetime | None:
    """An ISO time with a timezone (naive times are ambiguous across duty shifts)."""
    if text is None:
        return None
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"{flag} {text!r} is not an ISO time (2026-03-01T02:00:00+08:00)"
        ) from None
    if stamp.tzinfo is None:
        raise UsageError(f"{flag} {text!r} has no timezone (add +08:00 or Z)")
    return stamp
