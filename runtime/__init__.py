"""Shared plumbing below the stages: one clock, one MQTT connection factory and TLS policy, one
Kafka client configuration, one partitioner, one metrics-and-health HTTP server.

Layering (import-linter, pyproject.toml): `runtime` may import `events/` and client libraries;
every stage (`ingest`, `streams`, `alerts`, `simulators`) may import it; it imports no stage and
not the composition root. Nothing here reads the environment or connects at import time.
"""
