"""Linkage commands from dispatch down to the devices, with a read-back deadline."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from events.alerts import LinkageAction


class Command(BaseModel):
    """One command to one device. The device must report the new state before the deadline
    (a relay `off`, locks released) or dispatch escalates ("power cut not confirmed")."""

    model_config = ConfigDict(frozen=True)

    kind: str = "command"
    command_id: str
    incident_key: str
    action: LinkageAction
    compound_id: str
    gateway_id: str
    device_id: str
    issued_at: AwareDatetime
    # GB 50166-2019 §4.1.3: linkage within 3 s of the trigger; read-back gets a little more.
    readback_deadline_s: float = Field(default=10.0, gt=0.0)
