"""Benchmarks behind `firewatch bench`."""
