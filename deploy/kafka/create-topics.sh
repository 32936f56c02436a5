#!/usr/bin/env bash
# Create Firewatch's Kafka topics (idempotent). Partition counts and retention follow
# events/topics.py KAFKA_TOPICS; tests/deploy checks they agree. Replication 3, min ISR 2:
# one broker may be down without refusing acks=all writes.
set -euo pipefail
BOOTSTRAP="${BOOTSTRAP:-kafka-1:9092}"
KT="${KAFKA_TOPICS_BIN:-/opt/kafka/bin/kafka-topics.sh}"

create() {  # name partitions retention_ms
  "$KT" --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
    --topic "$1" --partitions "$2" --replication-factor 3 \
    --config min.insync.replicas=2 --config retention.ms="$3"
}

create fw.readings.v1 12 604800000
create fw.priority.v1 3 2592000000
create fw.deadletter.v1 3 2592000000
create fw.sequence.v1 3 2592000000
create fw.alerts.v2 6 31536000000
create fw.commands.v1 6 2592000000
create fw.incidents.v2 6 31536000000
create fw.actions.v1 6 604800000
create fw.audit.v1 1 38880000000
create fw.reports.v1 3 31536000000
create fw.hazards.v1 3 31536000000
"$KT" --bootstrap-server "$BOOTSTRAP" --list
