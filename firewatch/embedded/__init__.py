"""The embedded stack: real brokers as child processes on loopback, for one machine and tests."""
