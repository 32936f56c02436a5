"""Messages down to the field: linkage commands from dispatch to devices, with a read-back
deadline, and the bridge's requests to a gateway to publish missing readings again.

Topics (events/topics.py): a Command goes to the device's `.../{device}/cmd`; a
ResendRequest to the gateway's own `fw/v1/{compound}/{gateway}/cmd`, which only the bridge
may write (firewatch/embedded/acl.py). `parse_downlink` tells them apart by `kind`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

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


class ResendRequest(BaseModel):
    """The bridge asks a gateway to publish one device's readings `from_seq`..`to_seq`
    (inclusive) again: the sequence check found them missing (a broker that crashed before
    saving, a queue that overflowed). The gateway publishes what it still holds, the same
    bytes as before (the same event ids: consumers deduplicate); what it no longer holds stays
    a reported gap. Rejected by older gateways as an unknown command: nothing breaks."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    kind: Literal["resend"] = "resend"
    request_id: str = Field(min_length=1, max_length=128)
    compound_id: str
    gateway_id: str
    device_id: str
    from_seq: int = Field(ge=0)
    to_seq: int = Field(ge=0)
    requested_at: AwareDatetime
    requested_by: str  # the bridge id

    @model_validator(mode="after")
    def _is_a_range(self) -> ResendRequest:
        if self.to_seq < self.from_seq:
            raise ValueError(f"to_seq {self.to_seq} is below from_seq {self.from_seq}")
        return self


def parse_downlink(payload: bytes) -> Command | ResendRequest | None:
    """A message from a command topic as the model its `kind` names; None when it is neither
    (the caller logs it: a gateway ignores what it does not understand)."""
    for model in (ResendRequest, Command):
        try:
            return model.model_validate_json(payload)
        except ValidationError:
            continue
    return None
