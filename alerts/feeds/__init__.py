"""Scoped feeds to outside platforms: per recipient a filter, a field set, signed webhooks
and/or a Kafka topic, retries with back-off and a delivery ledger (docs/FEEDS.md)."""
