"""Registries of stations, rosters, compounds and the street / district levels above them."""

from alerts.registry.loader import EXAMPLE_DIR, load_registry
from alerts.registry.registry import Registry

__all__ = ["EXAMPLE_DIR", "Registry", "load_registry"]
