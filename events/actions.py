"""A duty console's action on an incident, passed to the dispatch instance that owns it.

Several dispatch instances share the compounds (issue 16.4) and any of them serves the console.
A member acting on an incident of a compound another instance owns is answered by that owner:
the serving instance writes this request to fw.actions.v1, keyed by compound like the alerts
and with the same partition count, so the consumer group hands each compound's actions to the
instance holding its alerts partition. That instance applies it exactly as its own console's
action (the lifecycle checks it) and the ledger shows the result to the asking instance.
"""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict


class ConsoleAction(BaseModel):
    """`action`, `outcome`: the values of alerts.lifecycle.Action / Outcome (checked by the
    owner; the wire contract does not depend on the dispatch package)."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    incident_key: str
    compound_id: str
    action: str
    actor: str  # the signed-in member
    source: str  # where it came from: "console 10.0.0.7 via dispatch-1"
    outcome: str | None = None
    cause: str | None = None
    requested_at: AwareDatetime
