"""The ledger (台账): SQLite by default, PostgreSQL by URL; migrations; signed audit chain."""

from alerts.ledger.audit_verify import VerifyResult, verify
from alerts.ledger.db import Database
from alerts.ledger.report import build_report
from alerts.ledger.store import Ledger

__all__ = ["Database", "Ledger", "VerifyResult", "build_report", "verify"]
