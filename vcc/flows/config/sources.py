"""Where the canonical tables come from: a source's kind, location and column and code mapping
(``[sources.<name>]`` and ``[sources.<name>.tables.<table>]``), and the URL of a SQL source read
from the environment or a Prefect Secret block, never written in the file."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Literal, cast

from pydantic import Field, ValidationInfo, field_validator, model_validator

from vcc.flows.config.date_format import check_date_format
from vcc.flows.errors import ConfigError
from vcc.transforms.settings import Strict


def _reads_a_day(date_format: str | None) -> str | None:
    return None if date_format is None else check_date_format(date_format)


class TableSource(Strict):
    """Where one canonical table comes from, and how its columns and codes map onto CONTRACT.md."""

    table: str | None = None  # sql: a table or view name (default: the canonical name)
    query: str | None = None  # sql: a query; may use the :as_of_end parameter
    file: str | None = None  # files: a file name or a glob of dated drops (default <table>.*)
    sheet: str | None = None  # files: the XLSX sheet (default: the first)
    rename: dict[str, str] = Field(default_factory=dict)  # source column -> canonical column
    values: dict[str, dict[str, str]] = Field(default_factory=dict)  # column -> {code: canonical}
    date_format: str | None = None  # strptime format, e.g. "%d/%m/%Y %H:%M"
    encoding: str | None = None
    delimiter: str | None = None

    @field_validator("file")
    @classmethod
    def _inside_the_folder(cls, file: str | None) -> str | None:
        # A table is read from its source's folder and nowhere else (issue 14).
        if file is not None and (
            PurePosixPath(file).is_absolute()
            or PureWindowsPath(file).is_absolute()
            or ".." in PurePosixPath(file.replace("\\", "/")).parts
        ):
            raise ValueError(
                f"{file!r} is not inside the source's folder: name a file or glob there, "
                "without an absolute path or .."
            )
        return file

    _date_format_reads_a_day = field_validator("date_format")(_reads_a_day)


class SourceConfig(Strict):
    kind: Literal["sql", "files"]
    # sql: exactly one of these three says where the SQLAlchemy URL is. ``url`` is written in the
    # file, so it may not hold a password; the other two keep the whole URL out of the file.
    url: str | None = None
    url_env: str | None = None  # the environment variable holding the URL
    url_secret: str | None = None  # the Prefect Secret block holding the URL
    path: Path | None = None  # files: the folder
    encoding: str = "utf-8"
    delimiter: str = ","
    date_format: str | None = None
    timezone: str = "Europe/London"
    tables: dict[str, TableSource] = Field(default_factory=dict)

    _date_format_reads_a_day = field_validator("date_format")(_reads_a_day)

    @model_validator(mode="after")
    def _kind_has_its_location(self, info: ValidationInfo) -> SourceConfig:
        if self.kind == "sql":
            given = [key for key in URL_KEYS if getattr(self, key)]
            if len(given) != 1:
                found = f" (it has {' and '.join(given)})" if given else ""
                raise ValueError(f"a sql source needs exactly one of {', '.join(URL_KEYS)}{found}")
            # Checked only for a configuration file, where a password would sit in plain text.
            held = _credentials_in(self.url) if self.url else []
            if held and (info.context or {}).get(FROM_FILE):
                raise ValueError(
                    f"url holds a credential ({', '.join(held)}), which must not be written in "
                    "the file: put the whole URL in an environment variable named by url_env, "
                    "or in a Prefect Secret block named by url_secret"
                )
        if self.kind == "files" and self.path is None:
            raise ValueError("a files source needs path")
        return self

    def table(self, name: str) -> TableSource:
        return self.tables.get(name, TableSource())

    def resolved_url(self, source_name: str) -> str:
        """The URL itself, read from the environment or a Prefect Secret block if so configured.
        Errors name the variable or block, never the value."""
        if self.url_env:
            value = os.environ.get(self.url_env)
            if not value:
                raise ConfigError(
                    f"source {source_name}: environment variable {self.url_env} is not set"
                )
            return value
        if self.url_secret:
            return _secret_url(source_name, self.url_secret)
        assert self.url is not None
        return self.url


URL_KEYS = ("url", "url_env", "url_secret")
FROM_FILE = "from_file"  # validation context: the settings come from a configuration file


def _credentials_in(url: str) -> list[str]:
    """Where ``url`` holds a credential (``flows.urls``; SQLAlchemy is imported only here).
    Not a URL at all: none, and extraction says so without quoting it."""
    # Inside: SQLAlchemy, 462 ms after the settings, which vcc measures and generate never need
    from vcc.flows.urls import credentials_in

    return credentials_in(url)


def _secret_url(source_name: str, block: str) -> str:
    """The URL held by the Prefect ``Secret`` block ``block`` (``prefect.blocks.system``)."""
    # Inside: Prefect, 2,907 ms after the settings; only a url_secret source needs it
    from prefect.blocks.system import Secret

    where = f"source {source_name}: Prefect Secret block {block!r}"
    try:
        # _sync: Prefect would hand an async caller a coroutine instead of the block.
        secret = cast(Secret, Secret.load(block, _sync=True))  # type: ignore[call-arg]
    except ValueError as error:
        if "Unable to find" in str(error):
            raise ConfigError(f"{where} does not exist") from None
        raise ConfigError(f"{where} cannot be read ({type(error).__name__})") from None
    except Exception as error:
        raise ConfigError(
            f"{where} cannot be read: the Prefect API is not reachable ({type(error).__name__}); "
            "set PREFECT_API_URL to the server that holds it"
        ) from None
    value = secret.get()
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} does not hold a database URL")
    return value.strip()
