"""The dispatch service: the Dispatcher (service layer) and its Kafka/MQTT/web adapters."""
