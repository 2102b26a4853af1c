"""Configuration: one TOML file parsed once into typed objects.

The shipped defaults live in ``config/default.toml``. A user's file (``--config``, else ``vcc.toml``
in the working directory) is laid over them section by section, except ``[sources]``: a user file
that names any source replaces the shipped demo sources whole, so that no demo mapping leaks into a
real source. Relative paths are resolved against the folder of the file that holds them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from flows.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = REPO_ROOT / "config" / "default.toml"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TableSource(_Strict):
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


class SourceConfig(_Strict):
    kind: Literal["sql", "files"]
    url: str | None = None  # sql: an SQLAlchemy URL without secrets
    url_env: str | None = None  # sql: the environment variable holding the URL
    path: Path | None = None  # files: the folder
    encoding: str = "utf-8"
    delimiter: str = ","
    date_format: str | None = None
    timezone: str = "Europe/London"
    tables: dict[str, TableSource] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _kind_has_its_location(self) -> SourceConfig:
        if self.kind == "sql" and not (self.url or self.url_env):
            raise ValueError("a sql source needs url or url_env")
        if self.kind == "files" and self.path is None:
            raise ValueError("a files source needs path")
        return self

    def table(self, name: str) -> TableSource:
        return self.tables.get(name, TableSource())

    def resolved_url(self, source_name: str) -> str:
        if self.url_env:
            value = os.environ.get(self.url_env)
            if not value:
                raise ConfigError(
                    f"source {source_name}: environment variable {self.url_env} is not set"
                )
            return value
        assert self.url is not None
        return self.url


class MeasureSettings(_Strict):
    """Deadlines in working days (None: the measure has no deadline), target and rating rule."""

    deadline_standard: int | None = None
    deadline_enhanced: int | None = None
    target: float = 0.90
    rag_tolerance: float = 0.10
    min_eligible_for_rating: int = 10


class ReportSettings(_Strict):
    area: str = "Cumbria"
    title: str = "Victims' Code compliance report"
    marking: str = "OFFICIAL"
    produced_by: str = "Office of the Police, Fire and Crime Commissioner"
    trend_quarters: int = 8


class CalendarSettings(_Strict):
    extra_holidays: list[dt.date] = Field(default_factory=list)


class ScheduleSettings(_Strict):
    working_days_after_quarter: int = 10
    time: dt.time = dt.time(7, 0)
    timezone: str = "Europe/London"


class DisclosureSettings(_Strict):
    threshold: int = 5


class Config(_Strict):
    sources: dict[str, SourceConfig]
    measures: dict[str, MeasureSettings]
    report: ReportSettings = ReportSettings()
    calendar: CalendarSettings = CalendarSettings()
    disclosure: DisclosureSettings = DisclosureSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    districts: list[str]
    output_dir: Path = Path("out")
    # The files this configuration was read from, for the manifest.
    files: list[str] = Field(default_factory=list)

    def measure(self, measure_id: str) -> MeasureSettings:
        return self.measures.get(measure_id, MeasureSettings())

    def fingerprint(self) -> str:
        """A SHA-256 of the settings that can change a figure (not of the file paths read)."""
        payload = self.model_dump(mode="json", exclude={"files"})
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"configuration file {path} does not exist") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"configuration file {path} is not valid TOML: {error}") from None


def _resolve_paths(raw: dict[str, Any], base: Path) -> dict[str, Any]:
    """Make the relative paths of one file absolute against that file's folder."""
    for source in raw.get("sources", {}).values():
        if isinstance(source, dict) and "path" in source:
            source["path"] = str((base / source["path"]).resolve())
        url = source.get("url") if isinstance(source, dict) else None
        if (
            isinstance(url, str)
            and url.startswith("sqlite:///")
            and not url.startswith("sqlite:////")
        ):
            relative = url.removeprefix("sqlite:///")
            if relative and relative != ":memory:":
                source["url"] = "sqlite:///" + str((base / relative).resolve())
    if "output_dir" in raw:
        raw["output_dir"] = str((base / raw["output_dir"]).resolve())
    return raw


def _overlay(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        if key == "sources":
            merged[key] = value  # a user's sources replace the demo sources whole
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _overlay(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_config(path: Path | None = None) -> Config:
    """Read the shipped defaults and lay the user's file (or ./vcc.toml if present) over them."""
    raw = _resolve_paths(_read_toml(DEFAULT_CONFIG), DEFAULT_CONFIG.parent)
    files = [str(DEFAULT_CONFIG)]
    if path is None and Path("vcc.toml").exists():
        path = Path("vcc.toml")
    if path is not None and path.resolve() != DEFAULT_CONFIG:
        path = path.resolve()
        raw = _overlay(raw, _resolve_paths(_read_toml(path), path.parent))
        files.append(str(path))
    raw["files"] = files
    try:
        return Config.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"configuration {files[-1]}: {where}: {first['msg']}") from None
