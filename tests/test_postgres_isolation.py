"""On PostgreSQL each service's role reaches its own database and no other."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from tests.conftest import uses_postgres
from tests.support.postgres import ServiceDatabases

pytestmark = pytest.mark.skipif(not uses_postgres(), reason="runs in `make test-postgres`")


@pytest.fixture
def databases():
    dbs = ServiceDatabases(services=["orders", "billing"])
    dbs.create()
    yield dbs
    dbs.drop()


def test_a_service_role_cannot_read_another_services_database(databases):
    own = create_engine(databases.url("orders"))
    with own.connect() as conn:
        conn.execute(text("CREATE TABLE secrets (v text)"))
        conn.commit()
    other = create_engine(databases.url("orders", as_service="billing"))
    with pytest.raises(OperationalError, match="permission denied|CONNECT privilege"), other.connect() as conn:
        conn.execute(text("SELECT * FROM secrets"))
    own.dispose()
    other.dispose()


def test_each_role_owns_only_its_database(databases):
    with psycopg.connect(host=databases.host, port=databases.port, user=databases.admin, dbname="postgres") as conn:
        rows = conn.execute(
            "SELECT datname, pg_get_userbyid(datdba), has_database_privilege(%s, datname, 'CONNECT') "
            "FROM pg_database WHERE datname LIKE %s ORDER BY datname",
            (databases.name("billing"), databases.prefix + "%"),
        ).fetchall()
    assert rows == [
        (databases.name("billing"), databases.name("billing"), True),
        (databases.name("orders"), databases.name("orders"), False),
    ]
