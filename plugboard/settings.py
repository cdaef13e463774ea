"""Settings of every Plugboard process, read once from the environment into a frozen object.

Every variable is documented in the README's configuration table; ``Settings.from_env`` is the only
place that reads them. Bad values raise ``SettingsError`` naming the variable, so a misconfigured
process refuses to start instead of running half-configured.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path


class SettingsError(ValueError):
    """A setting has a value the process cannot use."""


@dataclass(frozen=True)
class Settings:
    """Configuration shared by the catalog, instance and gateway processes."""

    data_dir: Path = Path("data")
    bind_host: str = "127.0.0.1"
    gateway_port: int = 50050
    catalog_port: int = 50051
    instance_port: int = 50052
    http_port: int = 8080
    # Where the other components are reached (host:port); defaults derive from bind_host and ports.
    catalog_target: str = ""
    instance_target: str = ""
    # Database URLs (sqlite:///path or postgresql://user@host:port/db); default SQLite under data_dir.
    catalog_database_url: str = ""
    instance_database_url: str = ""
    gateway_database_url: str = ""
    log_level: str = "INFO"
    grace_seconds: float = 10.0
    # After SIGTERM: health NOT_SERVING this long while calls are still accepted, then drain.
    shutdown_notice_seconds: float = 0.0
    # Event loop of `plugboard serve`: uvloop (faster grpc.aio servers) or the standard asyncio loop.
    event_loop: str = "uvloop"
    max_message_bytes: int = 4 * 1024 * 1024
    max_concurrent_rpcs: int = 1000
    # Gateway, per process: unary calls in flight and server streams open, per API key and per project.
    # A project's calls plus streams stay below max_concurrent_rpcs (check_gateway_limits).
    gateway_max_calls_per_key: int = 100
    gateway_max_calls_per_project: int = 200
    gateway_max_streams_per_key: int = 50
    gateway_max_streams_per_project: int = 100
    # Deadline given to a downstream call when the caller set none.
    default_deadline_seconds: float = 10.0
    # Secret encryption keys, "id:base64key" comma-separated, newest last; empty: a local key file.
    secret_keys: str = ""
    secret_key_file: Path | None = None
    # Page-token signing key (any text, 32+ random characters); empty: <data dir>/page-token.key, created
    # on first use. Every process serving one database must use the same key.
    page_token_key: str = ""
    # Connection tests: loopback/private networks admitted (CIDRs, comma-separated); default none.
    connection_test_allow_cidrs: tuple[str, ...] = ()
    connection_test_timeout_seconds: float = 10.0
    # Instance service: how long the catalog's answer "latest version of connector X" is reused.
    version_check_seconds: float = 30.0
    # Publishing: git hosts allowed (comma-separated), and whether file:// repository URLs are allowed.
    git_allowed_hosts: tuple[str, ...] = ("github.com", "gitlab.com", "bitbucket.org")
    git_allow_file_urls: bool = False
    # Publishing: the largest connect.yaml (and plugboard.yaml) read, in bytes.
    spec_max_bytes: int = 256 * 1024
    # Reconcilers: DELETING older than this reverts to ACTIVE; PENDING older than this is removed.
    deleting_stale_seconds: float = 60.0
    pending_stale_seconds: float = 60.0
    # Catalog publishing/preview jobs: git deadline per job, claim lease (a job claimed by a process that
    # died is re-claimed after it), and job workers per catalog process (0: this process runs no jobs).
    publish_timeout_seconds: float = 60.0
    job_lease_seconds: float = 180.0
    catalog_job_workers: int = 1
    # Certification: the projects whose callers may review (queue, start, comment, approve, reject);
    # empty: nobody can certify. A reviewer project never reviews a connector it created.
    catalog_reviewer_projects: tuple[str, ...] = ()
    # Publishing: a PEM file of CA certificates git trusts for https remotes (a private CA); empty: the system's.
    git_ca_file: str = ""
    # Operability: log lines as text or JSON; Prometheus /metrics port per server (0: none); the OTLP/gRPC
    # endpoint spans are exported to (empty: no tracing, and no work for it).
    log_format: str = "text"
    catalog_metrics_port: int = 0
    instance_metrics_port: int = 0
    gateway_metrics_port: int = 0
    otlp_endpoint: str = ""
    # Gateway: how long a verified API key is trusted before its record is read again (a revoked key is
    # refused by every gateway process within this time).
    gateway_key_cache_seconds: float = 10.0
    # Set by `plugboard serve --workers N` in its workers: the ports are shared (SO_REUSEPORT).
    reuse_port: bool = False
    # Change history: records older than this many days are swept (0: kept forever), at most
    # history_sweep_batch per sweep, one sweep every history_sweep_seconds.
    history_retention_days: float = 0.0
    history_sweep_seconds: float = 300.0
    history_sweep_batch: int = 1000
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        data_dir = Path(self.data_dir)
        object.__setattr__(self, "data_dir", data_dir)
        defaults = {
            "catalog_target": f"{_connect_host(self.bind_host)}:{self.catalog_port}",
            "instance_target": f"{_connect_host(self.bind_host)}:{self.instance_port}",
            "catalog_database_url": f"sqlite:///{data_dir / 'catalog.db'}",
            "instance_database_url": f"sqlite:///{data_dir / 'instance.db'}",
            "gateway_database_url": f"sqlite:///{data_dir / 'gateway.db'}",
        }
        for name, value in defaults.items():
            if not getattr(self, name):
                object.__setattr__(self, name, value)
        if self.secret_key_file is None:
            object.__setattr__(self, "secret_key_file", data_dir / "secret.key")

    def check_gateway_limits(self) -> None:
        """SettingsError unless the gateway's per-tenant limits are usable: each at least 1, a key's at
        most its project's, and one project's calls plus streams below ``max_concurrent_rpcs``, so that
        a single tenant at its limits still leaves the server room for the others."""
        pairs = (("PLUGBOARD_GATEWAY_MAX_CALLS_PER_KEY", self.gateway_max_calls_per_key,
                  "PLUGBOARD_GATEWAY_MAX_CALLS_PER_PROJECT", self.gateway_max_calls_per_project),
                 ("PLUGBOARD_GATEWAY_MAX_STREAMS_PER_KEY", self.gateway_max_streams_per_key,
                  "PLUGBOARD_GATEWAY_MAX_STREAMS_PER_PROJECT", self.gateway_max_streams_per_project))
        for key_name, per_key, project_name, per_project in pairs:
            for name, value in ((key_name, per_key), (project_name, per_project)):
                if value < 1:
                    raise SettingsError(f"{name} must be at least 1")
            if per_key > per_project:
                raise SettingsError(f"{key_name} ({per_key}) must not exceed {project_name} ({per_project})")
        tenant = self.gateway_max_calls_per_project + self.gateway_max_streams_per_project
        if tenant >= self.max_concurrent_rpcs:
            raise SettingsError(
                "PLUGBOARD_GATEWAY_MAX_CALLS_PER_PROJECT + PLUGBOARD_GATEWAY_MAX_STREAMS_PER_PROJECT "
                f"({tenant}) must be below PLUGBOARD_MAX_CONCURRENT_RPCS ({self.max_concurrent_rpcs}): "
                "one project at its limits must leave room for the others")

    def with_overrides(self, **changes: object) -> "Settings":
        """A copy with some fields changed (derived defaults recomputed when left empty)."""
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        """Read every PLUGBOARD_* variable; raise SettingsError naming the first bad one."""
        env = os.environ if env is None else env
        reader = _Reader(env)
        settings = cls(
            data_dir=Path(reader.text("PLUGBOARD_DATA_DIR", "data")),
            bind_host=reader.text("PLUGBOARD_BIND_HOST", "127.0.0.1"),
            gateway_port=reader.port("PLUGBOARD_GATEWAY_PORT", 50050),
            catalog_port=reader.port("PLUGBOARD_CATALOG_PORT", 50051),
            instance_port=reader.port("PLUGBOARD_INSTANCE_PORT", 50052),
            http_port=reader.port("PLUGBOARD_HTTP_PORT", 8080),
            catalog_target=reader.text("PLUGBOARD_CATALOG_TARGET", ""),
            instance_target=reader.text("PLUGBOARD_INSTANCE_TARGET", ""),
            catalog_database_url=reader.text("PLUGBOARD_CATALOG_DATABASE_URL", ""),
            instance_database_url=reader.text("PLUGBOARD_INSTANCE_DATABASE_URL", ""),
            gateway_database_url=reader.text("PLUGBOARD_GATEWAY_DATABASE_URL", ""),
            log_level=reader.choice("PLUGBOARD_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")),
            grace_seconds=reader.number("PLUGBOARD_GRACE_SECONDS", 10.0),
            shutdown_notice_seconds=reader.number("PLUGBOARD_SHUTDOWN_NOTICE_SECONDS", 0.0),
            event_loop=reader.choice("PLUGBOARD_EVENT_LOOP", "UVLOOP", ("UVLOOP", "ASYNCIO")).lower(),
            max_message_bytes=int(reader.number("PLUGBOARD_MAX_MESSAGE_BYTES", 4 * 1024 * 1024)),
            max_concurrent_rpcs=reader.count("PLUGBOARD_MAX_CONCURRENT_RPCS", 1000),
            gateway_max_calls_per_key=reader.count("PLUGBOARD_GATEWAY_MAX_CALLS_PER_KEY", 100),
            gateway_max_calls_per_project=reader.count("PLUGBOARD_GATEWAY_MAX_CALLS_PER_PROJECT", 200),
            gateway_max_streams_per_key=reader.count("PLUGBOARD_GATEWAY_MAX_STREAMS_PER_KEY", 50),
            gateway_max_streams_per_project=reader.count("PLUGBOARD_GATEWAY_MAX_STREAMS_PER_PROJECT", 100),
            default_deadline_seconds=reader.number("PLUGBOARD_DEFAULT_DEADLINE_SECONDS", 10.0),
            secret_keys=reader.text("PLUGBOARD_SECRET_KEYS", ""),
            secret_key_file=_optional_path(reader.text("PLUGBOARD_SECRET_KEY_FILE", "")),
            page_token_key=reader.text("PLUGBOARD_PAGE_TOKEN_KEY", ""),
            connection_test_allow_cidrs=reader.items("PLUGBOARD_CONNECTION_TEST_ALLOW_CIDRS", ()),
            connection_test_timeout_seconds=reader.number("PLUGBOARD_CONNECTION_TEST_TIMEOUT_SECONDS", 10.0),
            version_check_seconds=reader.number("PLUGBOARD_VERSION_CHECK_SECONDS", 30.0),
            git_allowed_hosts=reader.items(
                "PLUGBOARD_GIT_ALLOWED_HOSTS", ("github.com", "gitlab.com", "bitbucket.org")
            ),
            git_allow_file_urls=reader.flag("PLUGBOARD_GIT_ALLOW_FILE_URLS", False),
            spec_max_bytes=int(reader.number("PLUGBOARD_SPEC_MAX_BYTES", 256 * 1024)),
            deleting_stale_seconds=reader.number("PLUGBOARD_DELETING_STALE_SECONDS", 60.0),
            pending_stale_seconds=reader.number("PLUGBOARD_PENDING_STALE_SECONDS", 60.0),
            publish_timeout_seconds=reader.number("PLUGBOARD_PUBLISH_TIMEOUT_SECONDS", 60.0),
            job_lease_seconds=reader.number("PLUGBOARD_JOB_LEASE_SECONDS", 180.0),
            catalog_job_workers=int(reader.number("PLUGBOARD_CATALOG_JOB_WORKERS", 1)),
            catalog_reviewer_projects=reader.items("PLUGBOARD_CATALOG_REVIEWER_PROJECTS", ()),
            git_ca_file=reader.text("PLUGBOARD_GIT_CA_FILE", ""),
            log_format=reader.choice("PLUGBOARD_LOG_FORMAT", "TEXT", ("TEXT", "JSON")).lower(),
            catalog_metrics_port=reader.port("PLUGBOARD_CATALOG_METRICS_PORT", 0),
            instance_metrics_port=reader.port("PLUGBOARD_INSTANCE_METRICS_PORT", 0),
            gateway_metrics_port=reader.port("PLUGBOARD_GATEWAY_METRICS_PORT", 0),
            otlp_endpoint=reader.text("PLUGBOARD_OTLP_ENDPOINT", ""),
            reuse_port=reader.flag("PLUGBOARD_REUSE_PORT", False),
            gateway_key_cache_seconds=reader.number("PLUGBOARD_GATEWAY_KEY_CACHE_SECONDS", 10.0),
            history_retention_days=reader.number("PLUGBOARD_HISTORY_RETENTION_DAYS", 0.0),
            history_sweep_seconds=reader.number("PLUGBOARD_HISTORY_SWEEP_SECONDS", 300.0),
            history_sweep_batch=max(1, int(reader.number("PLUGBOARD_HISTORY_SWEEP_BATCH", 1000))),
        )
        settings.check_gateway_limits()
        return settings


def _connect_host(bind_host: str) -> str:
    return "127.0.0.1" if bind_host in ("0.0.0.0", "::", "[::]", "") else bind_host


def _optional_path(value: str) -> Path | None:
    return Path(value) if value else None


class _Reader:
    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def text(self, name: str, default: str) -> str:
        return self._env.get(name, default).strip()

    def port(self, name: str, default: int) -> int:
        value = self.number(name, default)
        if not value.is_integer() or not 0 <= value <= 65535:
            raise SettingsError(f"{name} must be a port number from 0 to 65535")
        return int(value)

    def count(self, name: str, default: int) -> int:
        value = self.number(name, default)
        if not value.is_integer() or value < 1:
            raise SettingsError(f"{name} must be a whole number of at least 1")
        return int(value)

    def number(self, name: str, default: float) -> float:
        raw = self._env.get(name)
        if raw is None or not raw.strip():
            return float(default)
        try:
            value = float(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a number") from None
        if value < 0:
            raise SettingsError(f"{name} must not be negative")
        return value

    def flag(self, name: str, default: bool) -> bool:
        raw = self._env.get(name, "").strip().lower()
        if not raw:
            return default
        if raw in ("1", "true", "yes", "on"):
            return True
        if raw in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"{name} must be true or false")

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.text(name, default).upper()
        if value not in choices:
            raise SettingsError(f"{name} must be one of {', '.join(choices)}")
        return value

    def items(self, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        raw = self._env.get(name)
        if raw is None:
            return default
        return tuple(item.strip() for item in raw.split(",") if item.strip())
