"""Benchmarks: each prints JSON with rates and ratios against a raw baseline of the same run."""
