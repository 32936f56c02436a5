"""Composition root: the command line, settings, and the embedded local stack."""
