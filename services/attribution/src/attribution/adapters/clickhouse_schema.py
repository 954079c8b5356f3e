"""The ClickHouse schema of ctrack, as numbered migrations: the one place its DDL lives.

Data teams query these tables directly, so they are part of the contract:
- `visits`, `leases`, `calls`: raw facts, one row per event. `ReplacingMergeTree`
  ordered by (tenant_id, day, event_id), so a replayed event collapses to one
  row (`FINAL`, or after merges). An event's day never changes, so its copies
  always share a partition.
- `attributed_calls`: one row per call version; `ReplacingMergeTree(version)`
  ordered by (tenant_id, call_id), so `FINAL` gives the latest version per call.
  Not partitioned by date: a provider may correct `started_at`, and versions of
  one call must stay in one partition to replace each other.
Every table keeps the event's JSON in `raw`, so nothing the flattening leaves out is lost.

Each statement is idempotent (IF NOT EXISTS); `schema_migrations` records what ran.
"""

from __future__ import annotations

from dataclasses import dataclass

from attribution.adapters.clickhouse import ClickHouse

__all__ = ["MIGRATIONS", "Migration", "migrate"]

_SESSION_COLUMNS = """
    source LowCardinality(Nullable(String)),
    medium LowCardinality(Nullable(String)),
    campaign Nullable(String),
    term Nullable(String),
    content Nullable(String),
    gclid Nullable(String),
    yclid Nullable(String),
    fbclid Nullable(String),
    msclkid Nullable(String),
    landing_page Nullable(String),
    referrer Nullable(String),
    ga_client_id Nullable(String),
    device LowCardinality(Nullable(String)),
"""

_ENVELOPE_COLUMNS = """
    event_id UUID,
    event_type LowCardinality(String),
    schema_version UInt16,
    tenant_id String,
    site_id Nullable(String),
    occurred_at DateTime64(3, 'UTC'),
    recorded_at DateTime64(3, 'UTC'),
"""

_RAW_FACT_ENGINE = """
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (tenant_id, toDate(occurred_at), event_id)
"""


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "raw facts (visits, leases, calls) and attributed calls",
        (
            f"""
            CREATE TABLE IF NOT EXISTS {{db}}.visits (
                {_ENVELOPE_COLUMNS}
                visit_id String,
                visitor_id String,
                pool_id String,
                page_url Nullable(String),
                {_SESSION_COLUMNS}
                raw String CODEC(ZSTD(3))
            ) {_RAW_FACT_ENGINE}
            """,
            f"""
            CREATE TABLE IF NOT EXISTS {{db}}.leases (
                {_ENVELOPE_COLUMNS}
                lease_id Nullable(String),
                pool_id String,
                number Nullable(String),
                visitor_id String,
                visit_id Nullable(String),
                expires_at Nullable(DateTime64(3, 'UTC')),
                denied_reason LowCardinality(Nullable(String)),
                default_number Nullable(String),
                {_SESSION_COLUMNS}
                raw String CODEC(ZSTD(3))
            ) {_RAW_FACT_ENGINE}
            """,
            f"""
            CREATE TABLE IF NOT EXISTS {{db}}.calls (
                {_ENVELOPE_COLUMNS}
                call_id String,
                provider LowCardinality(String),
                provider_call_id String,
                caller_number String,
                tracking_number String,
                started_at DateTime64(3, 'UTC'),
                status LowCardinality(String),
                answered Bool,
                duration_seconds Nullable(UInt32),
                sequence_number UInt32,
                raw String CODEC(ZSTD(3))
            ) {_RAW_FACT_ENGINE}
            """,
            f"""
            CREATE TABLE IF NOT EXISTS {{db}}.attributed_calls (
                tenant_id String,
                call_id String,
                version UInt32,
                event_id UUID,
                site_id Nullable(String),
                occurred_at DateTime64(3, 'UTC'),
                recorded_at DateTime64(3, 'UTC'),
                started_at DateTime64(3, 'UTC'),
                provider LowCardinality(String),
                caller_number String,
                tracking_number String,
                status LowCardinality(String),
                answered Bool,
                duration_seconds Nullable(UInt32),
                classification LowCardinality(String),
                unattributed_reason LowCardinality(Nullable(String)),
                confidence Float32,
                confidence_reasons Array(String),
                first_time_caller Bool,
                lease_id Nullable(String),
                visitor_id Nullable(String),
                visit_id Nullable(String),
                {_SESSION_COLUMNS}
                raw String CODEC(ZSTD(3))
            )
            ENGINE = ReplacingMergeTree(version)
            ORDER BY (tenant_id, call_id)
            """,
        ),
    ),
)


def migrate(client: ClickHouse) -> list[int]:
    """Create the database and apply the migrations not yet recorded; returns the versions applied."""
    database = client.database
    client.execute(f"CREATE DATABASE IF NOT EXISTS {database}")
    client.execute(
        f"""
        CREATE TABLE IF NOT EXISTS {database}.schema_migrations (
            version UInt32,
            description String,
            applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
        ) ENGINE = ReplacingMergeTree ORDER BY version
        """
    )
    done = {row[0] for row in client.execute(f"SELECT version FROM {database}.schema_migrations FINAL")}
    applied = []
    for migration in MIGRATIONS:
        if migration.version in done:
            continue
        for statement in migration.statements:
            client.execute(statement.replace("{db}", database))
        client.execute(
            f"INSERT INTO {database}.schema_migrations (version, description) VALUES",
            [(migration.version, migration.description)],
        )
        applied.append(migration.version)
    return applied
