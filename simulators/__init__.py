"""Stand-ins for the devices: seeded fleet, scenarios with ground truth, recorder, replayer.

Pure core: `fleet` (model file), `generator` (N synthetic compounds), `devices/` (behaviour,
calibrated by `calibrate` from the shared data sets), `engine` (one seeded timeline), `delivery`
(outages, redelivery, reordering), `scenarios` + `injections` + `truth` (ground truth),
`recording`, `replay` (planning), `evaluation`, `datasets/` (adapters). Thin adapters: `mqtt/`
(paho gateway pool on asyncio, recorder, minimal fast publisher) and `runner`, the library API
for end-to-end tests: `runner.run_scenario(scenarios.load_named("flat_fire"), conn, speed=None)`.
"""
