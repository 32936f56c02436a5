"""Benchmarks: `firewatch bench <target>`; each prints JSON with rates and a raw baseline."""
