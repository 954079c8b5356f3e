"""Entrypoints: Kafka consumer handlers (re-key, join, projection) and the REST routers."""
