"""What leaves Firewatch for outside platforms (police, housing bureau, fire brigade 119): one
`FeedItem` per incident change or hazard change, cut down to the fields the recipient may have.

Each recipient's feed has its own field set; its JSON Schema (docs/FEEDS.md,
events/schemas/feeds/) lists exactly those. Resident contact fields exist only in a feed that
is allowed them. Schema `firewatch.feed.v1`: adding an optional field keeps the version.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

FEED_SCHEMA = "firewatch.feed.v1"


class ItemKind(StrEnum):
    INCIDENT = "incident"  # from the incidents topic: a fire, a charging-point alarm ...
    HAZARD = "hazard"  # from the hazards topic: a hazard report and its rectification


# Always sent: a recipient cannot deduplicate, order or route an item without them.
REQUIRED_FIELDS = ("schema", "feed_id", "event_id", "item_kind", "subject_id", "at")
# Only in a feed whose recipient is allowed residents' personal data (PIPL 个人信息保护法 §23:
# passing personal information on needs its own basis).
CONTACT_FIELDS = ("reporter_name", "reporter_phone")


class FeedItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_: str = Field(default=FEED_SCHEMA, alias="schema")
    feed_id: str
    event_id: str = Field(description="Unique per change: receivers deduplicate by it.")
    item_kind: ItemKind
    subject_id: str = Field(description="The incident key or the hazard id.")
    at: AwareDatetime = Field(description="When the change happened (Firewatch's clock).")
    kind: str | None = Field(default=None, description="Alert kind or hazard category.")
    severity: str | None = Field(default=None, description="P1/P2/P3, or major/general.")
    state: str | None = None
    action: str | None = None
    actor: str | None = None
    title: str | None = None
    detail: str | None = None
    compound_id: str | None = None
    street_id: str | None = None
    building_id: str | None = None
    floor: int | None = None
    unit: str | None = None
    station_id: str | None = None
    owner_kind: str | None = None
    owner_name: str | None = None
    deadline_at: AwareDatetime | None = None
    escalation: str | None = None
    whistled_department: str | None = None
    photo_ids: tuple[str, ...] | None = None
    reporter_name: str | None = None
    reporter_phone: str | None = None


OPTIONAL_FIELDS = tuple(
    (info.alias or name)
    for name, info in FeedItem.model_fields.items()
    if (info.alias or name) not in REQUIRED_FIELDS
)
