"""Adapters: ClickHouse (schema, projection rows, sink, report queries) and Kafka topic administration."""
