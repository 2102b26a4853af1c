"""Issue 14: a credential anywhere in a URL written in the configuration file is refused, and
every URL vcc shows (messages, the manifest's table origins, the warehouse) masks every
credential through one function, ``vcc.flows.urls.mask_url``."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from vcc.flows.config import load_config
from vcc.flows.errors import ConfigError, SourceError
from vcc.flows.sources.sql import _database_errors
from vcc.flows.urls import mask_secrets, mask_url

SECRET = "s3cret"


@pytest.mark.parametrize(
    ("url", "where"),
    [
        (f"postgresql+psycopg://analyst:{SECRET}@db/vcc", "password"),
        (f"postgresql+psycopg://analyst@db/vcc?password={SECRET}", "query parameter password"),
        (f"mysql+pymysql://analyst@db/vcc?passwd={SECRET}", "query parameter passwd"),
        (f"mssql+pyodbc://db/vcc?PWD={SECRET}", "query parameter PWD"),
        (
            f"postgresql+psycopg://db/vcc?sslmode=require&sslpassword={SECRET}",
            "query parameter sslpassword",
        ),
        (f"postgresql+psycopg://db/vcc?token={SECRET}", "query parameter token"),
        (f"postgresql+psycopg://db/vcc?client_secret={SECRET}", "query parameter client_secret"),
    ],
)
def test_a_credential_anywhere_in_a_written_url_is_refused(tmp_path: Path, url, where) -> None:
    path = tmp_path / "vcc.toml"
    path.write_text(f'[sources.police]\nkind = "sql"\nurl = "{url}"\n')

    with pytest.raises(ConfigError) as raised:
        load_config(path)

    message = str(raised.value)
    assert f"url holds a credential ({where}), which must not be written in the file" in message
    assert SECRET not in message


def test_a_url_without_credentials_may_be_written(tmp_path: Path) -> None:
    path = tmp_path / "vcc.toml"
    path.write_text(
        '[sources.police]\nkind = "sql"\nurl = "postgresql+psycopg://analyst@db/vcc?sslmode=require"\n'
    )

    url = load_config(path).sources["police"].url
    assert url is not None and url.endswith("?sslmode=require")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"postgresql+psycopg://vcc:{SECRET}@db/vcc", "postgresql+psycopg://vcc:***@db/vcc"),
        (
            f"postgresql+psycopg://vcc@db/vcc?sslmode=require&sslpassword={SECRET}",
            "postgresql+psycopg://vcc@db/vcc?sslmode=require&sslpassword=***",
        ),
        (f"mysql+pymysql://vcc@db/vcc?token={SECRET}", "mysql+pymysql://vcc@db/vcc?token=***"),
        ("sqlite:////srv/vcc/police.sqlite", "sqlite:////srv/vcc/police.sqlite"),
        (f"not a url {SECRET}", "(not a URL)"),
    ],
)
def test_every_url_is_shown_with_its_credentials_masked(url, shown) -> None:
    assert mask_url(url) == shown


def test_a_drivers_message_quoting_a_credential_is_masked() -> None:
    url = f"postgresql+psycopg://vcc@db/vcc?sslpassword={SECRET}"
    with pytest.raises(SourceError) as raised, _database_errors("source police", sa.make_url(url)):
        raise sa_exc.ProgrammingError("SELECT 1", {}, Exception(f"bad key passphrase {SECRET}"))

    assert str(raised.value) == (
        "source police: database postgresql+psycopg://vcc@db/vcc?sslpassword=***: "
        "bad key passphrase ***"
    )
    assert mask_secrets(f"x {SECRET} y", url) == "x *** y"


def test_the_warehouse_masks_its_url_in_a_failure(tmp_path: Path) -> None:
    from vcc.flows.warehouse.store import Warehouse, WarehouseError

    url = f"postgresql+psycopg://vcc@127.0.0.1:1/vcc?password={SECRET}&connect_timeout=1"
    with pytest.raises(WarehouseError) as raised:
        Warehouse(url)

    assert SECRET not in str(raised.value)
    assert str(raised.value).startswith(
        "the warehouse postgresql+psycopg://vcc@127.0.0.1:1/vcc?connect_timeout=1&password=*** "
        "cannot be reached ("
    )
