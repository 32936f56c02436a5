"""`firewatch schemas`: check or regenerate the committed JSON Schemas of the wire contract."""

from __future__ import annotations

import argparse
from typing import Any

from events import schema_export
from firewatch.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "schemas", help="check (default) or --write the JSON Schemas in events/schemas/"
    )
    parser.add_argument("--write", action="store_true", help="regenerate the committed files")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.write:
        for path in schema_export.write():
            print(path)
        return 0
    stale = schema_export.stale()
    if stale:
        print(f"stale schemas: {', '.join(stale)}; run `firewatch schemas --write`")
        return 1
    print("schemas are current")
    return 0
