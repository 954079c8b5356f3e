"""Settings of the local stack: where data lives, which ports, what to launch.

Every value comes from the environment (or `.env`-free defaults fit for a laptop), so `make run`,
CI and a developer's shell configure the stack the same way. Setting `KAFKA_BOOTSTRAP_SERVERS` or
`CLICKHOUSE_HOST` means "use that one, do not launch ours": the services read the same variables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_KAFKA_VERSION", "LOCALHOST", "StackSettings"]

DEFAULT_KAFKA_VERSION = "4.4.0"
LOCALHOST = "127.0.0.1"


class StackSettings(BaseSettings):
    """Ports, paths and switches of the local stack; field names are the environment variables."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    CTRACK_DATA_DIR: Path = Path(".ctrack")
    CTRACK_KAFKA_LIBS_DIR: Path | None = None
    CTRACK_KAFKA_VERSION: str = DEFAULT_KAFKA_VERSION
    CTRACK_KAFKA_HEAP: str = "768m"
    CTRACK_START_TIMEOUT: float = 120.0
    CTRACK_STOP_TIMEOUT: float = 20.0

    CTRACK_EXTERNAL_KAFKA: bool = False
    KAFKA_BOOTSTRAP_SERVERS: str | None = None
    KAFKA_PORT: int = 9092
    KAFKA_CONTROLLER_PORT: int = 9093

    CTRACK_EXTERNAL_CLICKHOUSE: bool = False
    CLICKHOUSE_HOST: str | None = None
    CLICKHOUSE_PORT: int | None = None
    CLICKHOUSE_TCP_PORT: int = 9000
    CLICKHOUSE_HTTP_PORT: int = 8123

    # Development secrets handed to the services by `ctrack up` (and used by the demo to sign its
    # Twilio webhooks); the services refuse these defaults outside ENVIRONMENT=development.
    ADMIN_API_KEY: str = "dev-admin-key"
    TWILIO_AUTH_TOKEN: str = "development-only-twilio-auth-token"

    SESSION_TRACKER_PORT: int = 8101
    NUMBER_ALLOCATOR_PORT: int = 8102
    CALL_INGEST_PORT: int = 8103
    ATTRIBUTION_PORT: int = 8104
    CRM_SYNC_PORT: int = 8105

    @field_validator("CTRACK_DATA_DIR", "CTRACK_KAFKA_LIBS_DIR")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        # Child processes run in other working directories, so every path is made absolute once.
        return None if value is None else value.expanduser().resolve()

    @classmethod
    def isolated(cls, data_dir: Path, *, port_offset: int = 10000, **overrides: Any) -> StackSettings:
        """Settings for a throw-away stack (tests, benchmarks) that cannot clash with a dev stack.

        Every port is the default plus `port_offset` (Kafka 19092, ClickHouse 19000/18123, services
        18101-18105), nothing is external whatever the environment says, and the Kafka jars are
        shared with the developer's default location so a test does not fetch them again.
        """
        defaults = cls.model_fields
        ports = {
            name: int(field.default) + port_offset
            for name, field in defaults.items()
            if name.endswith("_PORT") and isinstance(field.default, int)
        }
        values: dict[str, Any] = {
            "CTRACK_DATA_DIR": data_dir,
            "CTRACK_KAFKA_LIBS_DIR": cls().kafka_libs_dir,
            "CTRACK_EXTERNAL_KAFKA": False,
            "KAFKA_BOOTSTRAP_SERVERS": None,
            "CTRACK_EXTERNAL_CLICKHOUSE": False,
            "CLICKHOUSE_HOST": None,
            "CLICKHOUSE_PORT": None,
            **ports,
            **overrides,
        }
        return cls(**values)

    def as_env(self) -> dict[str, str]:
        """These settings as environment variables, to run `ctrack` (or a bench) in a subprocess."""
        env = {name: str(value) for name, value in self.model_dump().items() if value is not None}
        return {name: value.lower() if value in ("True", "False") else value for name, value in env.items()}

    @property
    def data_dir(self) -> Path:
        return self.CTRACK_DATA_DIR

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def state_file(self) -> Path:
        return self.data_dir / "stack.json"

    @property
    def kafka_libs_dir(self) -> Path:
        return self.CTRACK_KAFKA_LIBS_DIR or self.data_dir / "kafka" / "libs"

    @property
    def kafka_external(self) -> bool:
        return self.CTRACK_EXTERNAL_KAFKA or self.KAFKA_BOOTSTRAP_SERVERS is not None

    @property
    def kafka_bootstrap(self) -> str:
        return self.KAFKA_BOOTSTRAP_SERVERS or f"{LOCALHOST}:{self.KAFKA_PORT}"

    @property
    def clickhouse_external(self) -> bool:
        return self.CTRACK_EXTERNAL_CLICKHOUSE or self.CLICKHOUSE_HOST is not None

    @property
    def clickhouse_host(self) -> str:
        return self.CLICKHOUSE_HOST or LOCALHOST

    @property
    def clickhouse_port(self) -> int:
        """The native-protocol port the services use: the external server's, else ours."""
        if self.clickhouse_external:
            return self.CLICKHOUSE_PORT or 9000
        return self.CLICKHOUSE_TCP_PORT
