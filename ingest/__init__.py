"""MQTT -> Kafka bridge: validate at the edge, acknowledge MQTT only after Kafka has the write."""
