"""Kafka glue of the number-allocator: the config store, pool states from the lease log, the expiry ticker."""
