"""The JSON Schema of each feed: `FeedItem` cut down to the recipient's field set, so a
recipient's integrator sees exactly what can arrive (committed under events/schemas/feeds/,
checked by `firewatch feeds schema` and a test, like the wire contract's)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from alerts.feeds.config import FeedConfig, FeedsConfig
from alerts.feeds.signing import REPLAY_WINDOW_S, SIGNATURE, TIMESTAMP
from events.feeds import FEED_SCHEMA, REQUIRED_FIELDS, FeedItem

FEED_SCHEMA_DIR = Path(__file__).resolve().parents[2] / "events" / "schemas" / "feeds"


def feed_schema(feed: FeedConfig) -> dict[str, Any]:
    full = FeedItem.model_json_schema(by_alias=True)
    wanted = list(REQUIRED_FIELDS) + [f for f in feed.fields if f not in REQUIRED_FIELDS]
    properties = {name: full["properties"][name] for name in wanted}
    properties["schema"] = {"const": FEED_SCHEMA, "type": "string"}
    properties["feed_id"] = {"const": feed.feed_id, "type": "string"}
    transport = []
    if feed.webhook is not None:
        transport.append(
            f"HTTP POST, signed: {TIMESTAMP} and {SIGNATURE} = v1=HMAC-SHA256(key, "
            f'"{{timestamp}}." + body); refuse timestamps older than {REPLAY_WINDOW_S} s'
        )
    if feed.kafka_topic is not None:
        transport.append(f"Kafka topic {feed.kafka_topic}, key = compound_id")
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Firewatch feed {feed.feed_id}: {feed.name}",
        "description": "One change of an incident or a hazard. "
        + "; ".join(transport)
        + ". Deduplicate by event_id: a retry sends the same item again.",
        "type": "object",
        "properties": properties,
        "required": list(REQUIRED_FIELDS),
        "additionalProperties": False,
    }
    if "$defs" in full:
        schema["$defs"] = full["$defs"]
    return schema


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write(config: FeedsConfig, directory: Path = FEED_SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for feed in config.feeds:
        path = directory / f"{feed.feed_id}.schema.json"
        path.write_text(render(feed_schema(feed)), encoding="utf-8")
        paths.append(path)
    return paths


def stale(config: FeedsConfig, directory: Path = FEED_SCHEMA_DIR) -> list[str]:
    out = []
    for feed in config.feeds:
        path = directory / f"{feed.feed_id}.schema.json"
        if not path.exists() or path.read_text(encoding="utf-8") != render(feed_schema(feed)):
            out.append(feed.feed_id)
    return out
