"""Benchmarks: each prints JSON with its rates and the ratios against a raw baseline."""
