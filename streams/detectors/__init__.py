"""Pure detectors: readings and a clock in, alert decisions out. No Faust, no Kafka."""
