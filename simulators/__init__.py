"""Stand-ins for the devices: seeded fleet, scenarios with ground truth, recorder, replayer."""
