"""Fixtures of the SDK's unit tests: a real SQLite database with the SDK's own tables."""

from __future__ import annotations

import pytest

from causeway import db


@pytest.fixture
def sessions(tmp_path):
    """Sessions on a fresh SQLite file, migrated to the SDK's head (outbox, inbox)."""
    engine = db.create_db_engine(f"sqlite:///{tmp_path / 'unit.db'}")
    db.migrate(engine, service_versions=None)
    yield db.session_factory(engine)
    engine.dispose()
