"""Database setup: one SQLAlchemy engine per service, migrations it owns.

SQLite (host mode) and PostgreSQL (containers) run the same code. On SQLite,
every transaction starts with BEGIN IMMEDIATE so that read-then-write logic
(a balance check, a stock check) is serialised just as `SELECT ... FOR UPDATE`
serialises it on PostgreSQL. Transactions marked read-only (READ_ONLY, set by
read-only units of work) begin DEFERRED instead: in WAL mode they read a
snapshot without taking the write lock, so reads never queue behind writes or
each other.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import DateTime, MetaData, create_engine, event, text
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.engine.url import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import TypeDecorator

MIGRATIONS_HOME = Path(__file__).parent / "migrations"

# Execution option of a connection whose transaction only reads.
READ_ONLY = "causeway_read_only"

# Constraint names that are the same on every backend, so migrations can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend.

    SQLite keeps no offset and hands back naive datetimes; PostgreSQL hands back
    the session's time zone. Columns of this type always give aware UTC values,
    so API timestamps serialise the same (`...+00:00`) in both modes. Naive
    values are refused on the way in rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def new_metadata() -> MetaData:
    """Metadata for one service's models (each service declares its own base with it)."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def create_db_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, decide where transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def begin_read_only(session: Session) -> Session:
    """Begin the session's transaction now, marked read-only (SQLite: BEGIN, not IMMEDIATE)."""
    session.connection(execution_options={READ_ONLY: True})
    return session


def migrate(engine: Engine, *, service_versions: Path | None, metadata: MetaData | None = None) -> None:
    """Upgrade to every head: the SDK's messaging tables and the service's own.

    The SDK's migrations (outbox, inbox) live in their own Alembic branch, so a
    service's migrations never restate the SDK's tables.
    """
    locations = [str(MIGRATIONS_HOME / "versions")]
    if service_versions is not None:
        locations.append(str(service_versions))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_HOME))
    config.set_main_option("version_locations", " ".join(locations))
    config.set_main_option("path_separator", "space")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        config.attributes["target_metadata"] = metadata
        command.upgrade(config, "heads")


def ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
