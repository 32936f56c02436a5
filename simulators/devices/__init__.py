"""Device behaviour models: pure state machines driven by simulated time and a seeded RNG."""
