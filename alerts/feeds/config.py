"""Feed configuration: one entry per recipient (police, housing bureau, fire brigade 119 ...),
read from YAML by the composition root (`firewatch feeds --config`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    SecretStr,
    ValidationError,
    model_validator,
)

from alerts.errors import DispatchError
from events.feeds import CONTACT_FIELDS, OPTIONAL_FIELDS, ItemKind

EXAMPLE_FEEDS = Path(__file__).parent / "example.yaml"


class FeedConfigError(DispatchError):
    pass


class FeedFilter(BaseModel):
    """What a recipient receives; an empty set means "any"."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item_kinds: frozenset[ItemKind] = frozenset(ItemKind)
    kinds: frozenset[str] = frozenset()  # alert kinds and hazard categories
    severities: frozenset[str] = frozenset()  # P1 P2 P3 major general
    compounds: frozenset[str] = frozenset()
    actions: frozenset[str] = frozenset()  # e.g. only "escalate": the whistle
    whistled_to: str | None = None  # only hazards whistled to this department


class WebhookTarget(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    url: HttpUrl
    secret: SecretStr = Field(description="HMAC-SHA256 key shared with the recipient")
    timeout_s: float = Field(default=5.0, gt=0.0, le=60.0)


class FeedConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    feed_id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,40}$")
    name: str
    filter: FeedFilter = FeedFilter()
    fields: tuple[str, ...] = Field(min_length=1)
    allow_contact: bool = False
    webhook: WebhookTarget | None = None
    kafka_topic: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]{1,200}$")
    # Attempts per delivery and the back-off between them (doubling, capped); after that the
    # delivery waits in the ledger and is tried again at `retry_after_s` intervals.
    attempts: int = Field(default=4, ge=1, le=20)
    backoff_s: float = Field(default=0.5, ge=0.0)
    max_backoff_s: float = Field(default=30.0, ge=0.0)
    retry_after_s: float = Field(default=60.0, gt=0.0)
    # This many deliveries failing in a row: the operator is alerted (log, metric, maintenance).
    failing_after: int = Field(default=3, ge=1)

    @model_validator(mode="after")
    def _check(self) -> FeedConfig:
        if self.webhook is None and self.kafka_topic is None:
            raise ValueError(f"feed {self.feed_id}: needs a webhook or a kafka_topic")
        unknown = sorted(set(self.fields) - set(OPTIONAL_FIELDS))
        if unknown:
            raise ValueError(f"feed {self.feed_id}: unknown fields {unknown}")
        contact = sorted(set(self.fields) & set(CONTACT_FIELDS))
        if contact and not self.allow_contact:
            raise ValueError(
                f"feed {self.feed_id}: {contact} are residents' personal data: "
                "set allow_contact: true only for a recipient allowed to have them"
            )
        return self

    def delay_s(self, attempt: int) -> float:
        """Back-off before attempt `attempt` (1-based; the first has none)."""
        return 0.0 if attempt <= 1 else min(self.max_backoff_s, self.backoff_s * 2 ** (attempt - 2))


class FeedsConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    feeds: tuple[FeedConfig, ...] = ()
    consumer_group: str = "firewatch-feeds"

    @model_validator(mode="after")
    def _unique(self) -> FeedsConfig:
        ids = [f.feed_id for f in self.feeds]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate feed ids in {ids}")
        return self


def load_feeds(path: Path, secrets: dict[str, str]) -> FeedsConfig:
    """Read the YAML; a webhook's `secret_env: NAME` takes its key from `secrets[NAME]` (the
    composition root passes the environment), so keys never sit in the file."""
    try:
        doc: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise FeedConfigError(f"{path.name}: not valid YAML: {exc}") from None
    for feed in doc.get("feeds") or []:
        hook = feed.get("webhook") if isinstance(feed, dict) else None
        if isinstance(hook, dict) and "secret_env" in hook:
            name = hook.pop("secret_env")
            if name not in secrets:
                raise FeedConfigError(
                    f"{path.name}: feed {feed.get('feed_id')}: ${name} is not set"
                )
            hook["secret"] = secrets[name]
    try:
        return FeedsConfig.model_validate(doc)
    except ValidationError as exc:
        errs = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in exc.errors(include_url=False)[:5]
        )
        raise FeedConfigError(f"{path.name}: {errs}") from None
