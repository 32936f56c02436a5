"""Errors of the dispatch stage.

DispatchError
├── RegistryError        a registry file is missing, malformed or inconsistent
├── TransitionError      an action is not allowed in the incident's current state
├── LedgerError          the ledger database cannot be opened or migrated
└── AccessDenied         a console user acted on an incident outside their scope
"""

from __future__ import annotations


class DispatchError(Exception):
    retriable = False


class RegistryError(DispatchError):
    pass


class TransitionError(DispatchError):
    pass


class LedgerError(DispatchError):
    pass


class AccessDenied(DispatchError):
    pass
