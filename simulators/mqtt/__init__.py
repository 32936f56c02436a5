"""Thin MQTT adapters (paho): a pool of gateway clients on one asyncio loop, and a recorder."""
