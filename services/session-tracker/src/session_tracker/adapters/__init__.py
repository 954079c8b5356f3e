"""Kafka glue of the session-tracker: the board of answers read from the `leases` topic."""
