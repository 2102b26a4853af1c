"""Issue 14: a database that does not exist (or refuses the login) is not down for a moment:
it is reported at once in one line, never retried as ``SourceUnavailable``."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from vcc.flows.errors import SourceError, SourceUnavailable
from vcc.flows.sources.sql import _database_errors

URL = sa.make_url("postgresql+psycopg://vcc:secret@db.example.org/police")


def raised_by(message: str) -> SourceError:
    with pytest.raises(SourceError) as raised, _database_errors("source police, table crimes", URL):
        raise sa_exc.OperationalError("SELECT 1", {}, Exception(message))
    return raised.value


@pytest.mark.parametrize(
    "message",
    [
        'connection to server at "db.example.org", port 5432 failed: FATAL:  database "police" '
        "does not exist",
        "(1049, \"Unknown database 'police'\")",
        'FATAL:  password authentication failed for user "vcc"',
        "(1045, \"Access denied for user 'vcc'@'10.0.0.1' (using password: YES)\")",
    ],
)
def test_a_missing_database_or_refused_login_is_not_retried(message: str) -> None:
    error = raised_by(message)

    assert not isinstance(error, SourceUnavailable)
    assert str(error).startswith(
        "source police, table crimes: database postgresql+psycopg://vcc:***@db.example.org/police: "
    )
    assert "secret" not in str(error) and "\n" not in str(error)


def test_a_refused_connection_is_still_worth_retrying() -> None:
    error = raised_by(
        'connection to server at "db.example.org", port 5432 failed: Connection refused'
    )

    assert isinstance(error, SourceUnavailable)
