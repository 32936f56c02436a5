"""Benchmarks run by `firewatch bench <target>`; each prints JSON with a raw baseline."""
