"""Dispatch: nearest on-duty station, escalation, linkage commands, ledger, duty console."""
