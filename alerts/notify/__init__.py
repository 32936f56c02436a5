"""Notification adapters: console hub, webhook, MQTT terminals, SMS/voice, the 119 forward."""
