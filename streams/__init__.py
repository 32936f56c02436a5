"""Stream detection (Faust): per-device state, detectors, timers, alerts as incidents."""
