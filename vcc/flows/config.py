"""Configuration: one TOML file parsed once into typed objects.

The shipped defaults live in ``config/default.toml``. A user's file (``--config``, else ``vcc.toml``
in the working directory) is laid over them section by section, except ``[sources]``: a user file
that names any source replaces the shipped demo sources whole, so that no demo mapping leaks into a
real source. Relative paths in a user's file are resolved against the folder of that file; those in
the shipped defaults (the demo sources in ``demo-data/``) against the working folder, so that the
demo is made and read where vcc is run, never beside its installed code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import tomllib
import zoneinfo
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Literal, cast

from pydantic import (
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from vcc import shipped
from vcc.flows.errors import ConfigError
from vcc.flows.qaf import MAX_SAMPLE_SIZE
from vcc.flows.sources.date_format import check_date_format
from vcc.transforms.catalogue import Catalogue, CatalogueError, load_catalogue, version_in_force
from vcc.transforms.settings import (
    CalendarSettings,
    DisclosureSettings,
    MeasureSettings,
    ReportSettings,
    Strict,
)

DEFAULT_CONFIG = shipped("config", "default.toml")
EXPECTATIONS_DIR = shipped("expectations")


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
    from vcc.flows.urls import credentials_in

    return credentials_in(url)


def _secret_url(source_name: str, block: str) -> str:
    """The URL held by the Prefect ``Secret`` block ``block`` (``prefect.blocks.system``)."""
    from prefect.blocks.system import Secret  # Prefect is slow to import; only this needs it

    where = f"source {source_name}: Prefect Secret block {block!r}"
    try:
        # _sync: Prefect would hand an async caller a coroutine instead of the block.
        secret = cast(Secret, Secret.load(block, _sync=True))  # type: ignore[call-arg]
    except ValueError as error:
        if "Unable to find" in str(error):
            raise ConfigError(f"{where} does not exist") from None
        raise ConfigError(f"{where} cannot be read ({type(error).__name__})") from None
    except Exception as error:  # noqa: BLE001 - any failure to reach Prefect is the user's to fix
        raise ConfigError(
            f"{where} cannot be read: the Prefect API is not reachable ({type(error).__name__}); "
            "set PREFECT_API_URL to the server that holds it"
        ) from None
    value = secret.get()
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} does not hold a database URL")
    return value.strip()


class CodeSettings(Strict):
    """Which Victims' Code's measure catalogue to use: ``version`` pins one (e.g. "2021-04"),
    else the one in force on the quarter's first day; ``catalogue_dir`` adds a folder of
    catalogue files to the shipped ones (transforms/catalogues/)."""

    version: str | None = None
    catalogue_dir: Path | None = None


class ScheduleSettings(Strict):
    working_days_after_quarter: int = Field(default=10, ge=0)
    time: dt.time = dt.time(7, 0)
    timezone: str = "Europe/London"

    @model_validator(mode="after")
    def _known_timezone(self) -> ScheduleSettings:
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None
        return self


class WarehouseSettings(Strict):
    """Where runs, versions, approvals and circulation are recorded: the environment variable
    holding an SQLAlchemy URL (e.g. PostgreSQL), else an SQLite file in the output folder; and
    how long run, approve, circulate, sample or review import wait for another of them on the
    same quarter to finish before refusing."""

    url_env: str | None = None
    lock_wait_seconds: float = Field(default=10.0, ge=0)

    def url(self, output_root: Path) -> str:
        from vcc.flows.warehouse.store import default_url

        if not self.url_env:
            return default_url(output_root)
        value = os.environ.get(self.url_env)
        if not value:
            raise ConfigError(f"warehouse: environment variable {self.url_env} is not set")
        return value


_NOT_IN_AN_ADDRESS = set('<>()[],;:\\"')


def is_plausible_address(address: str) -> bool:
    """A bare ASCII address such as ``name@example.org`` (or ``vcc@localhost``): one ``@``, no
    spaces, display names or header punctuation, and a domain of letters, digits and hyphens."""
    local, at, domain = address.rpartition("@")
    if not (at and local and domain and address.isascii() and "@" not in local):
        return False
    if any(c in _NOT_IN_AN_ADDRESS or c.isspace() or not c.isprintable() for c in address):
        return False
    return all(
        label and label[0] != "-" and label[-1] != "-" and label.replace("-", "").isalnum()
        for label in domain.split(".")
    )


class MailSettings(Strict):
    """The SMTP server that sends the report (``vcc circulate``) and failure notices of scheduled
    runs. Credentials are read from the environment variables named here, never from the file."""

    host: str = "localhost"
    port: int = Field(default=25, ge=1, le=65535)
    starttls: bool = False  # true: upgrade with STARTTLS or send nothing
    tls_verify: bool = True  # check the server's certificate and host name
    ca_file: Path | None = None  # PEM certificates to trust instead of the system's
    username_env: str | None = None  # the environment variable holding the SMTP user name
    password_env: str | None = None  # the environment variable holding the SMTP password
    sender: str = "vcc@localhost"
    distribution: list[str] = Field(default_factory=list)  # the partnership's list
    failure_notify: list[str] = Field(default_factory=list)  # told when a scheduled run fails
    timeout_seconds: float = Field(default=30.0, gt=0)

    @field_validator("host")
    @classmethod
    def _one_host_name(cls, host: str) -> str:
        # A line break would end the SMTP command it is written in and begin another.
        if not host or any(c.isspace() or not c.isprintable() for c in host):
            raise ValueError(f"{host!r} is not a host name (no spaces, line breaks or controls)")
        return host

    @model_validator(mode="after")
    def _addresses_and_credentials(self) -> MailSettings:
        for key in ("sender", "distribution", "failure_notify"):
            value = getattr(self, key)
            for address in [value] if isinstance(value, str) else value:
                if not is_plausible_address(address):
                    raise ValueError(f"{key}: {address!r} is not an email address")
        if bool(self.username_env) != bool(self.password_env):
            raise ValueError("username_env and password_env go together: give both or neither")
        if self.username_env and not self.starttls:
            # A password is never sent over a connection that is not encrypted.
            raise ValueError("username_env and password_env need starttls = true")
        if self.ca_file is not None and not self.ca_file.is_absolute():
            raise ValueError(f"ca_file: {self.ca_file} must be an absolute path")
        return self


class QafSettings(Strict):
    """The Quality Assessment Framework's dip sample (``vcc sample``) and its case review pack."""

    # cases per sample, unless --size says otherwise
    sample_size: int = Field(default=40, ge=1, le=MAX_SAMPLE_SIZE)
    enhanced_oversampling: float = Field(default=2.0, gt=0)  # enhanced strata's share multiplier
    pack_marking: str = "OFFICIAL-SENSITIVE"  # on every page of the pack and on the form


class ValidationSettings(Strict):
    """Rules on the data beyond each table's schema: dates before ``earliest_date`` are a
    system's placeholder ("unknown" as 1900-01-01), not a date, and their rows are quarantined;
    a link failing for more than ``max_linkage_failure`` of a table's rows means its parents are
    unusable (say a header-only ``cases``), and the run stops."""

    earliest_date: dt.date = dt.date(2000, 1, 1)
    max_linkage_failure: float = Field(default=0.5, ge=0, le=1)

    @field_validator("earliest_date")
    @classmethod
    def _not_in_the_future(cls, earliest: dt.date) -> dt.date:
        if earliest > dt.date.today():
            raise ValueError(
                f"{earliest} is after today: every date up to the as-of date would be "
                "quarantined as implausible"
            )
        return earliest


def _some_districts(districts: list[str]) -> list[str]:
    # With none, every crime would be quarantined as "not a configured district".
    if not districts:
        raise ValueError("names no district: list the area's districts, as in config/default.toml")
    return districts


# An area's name is the folder of its outputs (<out>/<name>/<Q>/): lower case, and not one of the
# folders vcc writes beside them.
AREA_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
RESERVED_AREA_NAMES = frozenset({"comparison", "archive", "qaf"})
CLUSTER_ADDRESS = re.compile(r"tcp://[A-Za-z0-9.\-]+:\d{1,5}|tcp://\[[0-9A-Fa-f:]+\]:\d{1,5}")


class AreaConfig(Strict):
    """One area of a configuration of many (CONTRACT.md §6.5): its own sources, districts and
    the title its report names it by; every other setting is the configuration's."""

    area: str  # the report's area title, e.g. "Northshire"
    produced_by: str | None = None  # the report's "Produced by", else the configuration's
    districts: list[str]
    sources: dict[str, SourceConfig]

    _districts = field_validator("districts")(_some_districts)

    @field_validator("sources")
    @classmethod
    def _has_sources(cls, sources: dict[str, SourceConfig]) -> dict[str, SourceConfig]:
        if not sources:
            raise ValueError("an area needs its own [areas.<name>.sources.<source>] sections")
        return sources


class ClusterSettings(Strict):
    """Where the areas of a configuration of many are run: ``address`` names a running Dask
    scheduler ("tcp://host:port"); without it a local cluster of ``workers`` worker processes is
    started for the run (default: one per CPU core, at most one per area)."""

    address: str | None = None
    workers: int | None = Field(default=None, ge=1)

    @field_validator("address")
    @classmethod
    def _tcp_address(cls, address: str | None) -> str | None:
        if address is not None and not CLUSTER_ADDRESS.fullmatch(address):
            raise ValueError(f"{address!r} is not a scheduler address such as tcp://host:8786")
        return address


class Config(Strict):
    sources: dict[str, SourceConfig]
    areas: dict[str, AreaConfig] = Field(default_factory=dict)
    cluster: ClusterSettings = ClusterSettings()
    measures: dict[str, MeasureSettings] = Field(default_factory=dict)
    code: CodeSettings = CodeSettings()
    report: ReportSettings = ReportSettings()
    calendar: CalendarSettings = CalendarSettings()
    disclosure: DisclosureSettings = DisclosureSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    warehouse: WarehouseSettings = WarehouseSettings()
    mail: MailSettings = MailSettings()
    qaf: QafSettings = QafSettings()
    validation: ValidationSettings = ValidationSettings()
    districts: list[str]
    output_dir: Path = Path("out")
    _districts = field_validator("districts")(_some_districts)
    # The files this configuration was read from, for the manifest.
    files: list[str] = Field(default_factory=list)

    @field_validator("areas")
    @classmethod
    def _area_names(cls, areas: dict[str, AreaConfig]) -> dict[str, AreaConfig]:
        for name in areas:
            if not AREA_NAME.fullmatch(name) or name in RESERVED_AREA_NAMES:
                raise ValueError(
                    f"{name!r} cannot name an area: use lower-case letters, digits, - and _ "
                    f"(at most 40, starting with a letter or digit), not "
                    f"{', '.join(sorted(RESERVED_AREA_NAMES))}"
                )
        return areas

    def for_area(self, name: str) -> Config:
        """The single-area configuration of area ``name``: its sources, districts and title in
        place of the configuration's, everything else shared. A run of it is exactly a run of
        that area alone."""
        if not self.areas:
            raise ConfigError(f"no area {name!r}: this configuration has no [areas] sections")
        if name not in self.areas:
            known = ", ".join(self.areas)
            raise ConfigError(f"no area {name!r} in the configuration (areas: {known})")
        area = self.areas[name]
        report = self.report.model_copy(
            update={"area": area.area, "produced_by": area.produced_by or self.report.produced_by}
        )
        return self.model_copy(
            update={
                "sources": area.sources,
                "districts": list(area.districts),
                "report": report,
                "areas": {},
                "cluster": ClusterSettings(),
            }
        )

    def measure(self, measure_id: str) -> MeasureSettings:
        return self.measures.get(measure_id, MeasureSettings())

    def catalogue(self, quarter_start: dt.date) -> Catalogue:
        """The measure catalogue of the pinned version, else of the one in force on the
        quarter's first day."""
        folder = self.code.catalogue_dir
        try:
            version = self.code.version or version_in_force(quarter_start, folder)
            return load_catalogue(version, folder)
        except CatalogueError as error:
            raise ConfigError(str(error)) from None

    def settled(self, catalogue: Catalogue) -> Config:
        """This configuration pinned to ``catalogue``'s version, with every measure's deadlines
        and categories settled (the configured ones, else the catalogue's), as the report and
        manifest describe them."""
        measures = dict(self.measures)
        for definition in catalogue.measures:
            settings = self.measure(definition.measure_id)
            measures[definition.measure_id] = settings.model_copy(
                update={
                    "deadline_standard": _either(
                        settings.deadline_standard, definition.deadline_standard
                    ),
                    "deadline_enhanced": _either(
                        settings.deadline_enhanced, definition.deadline_enhanced
                    ),
                    "categories": _either(
                        settings.categories, definition.settings.get("categories")
                    ),
                }
            )
        code = self.code.model_copy(update={"version": catalogue.version})
        return self.model_copy(update={"measures": measures, "code": code})

    def deadline_problem(self) -> str | None:
        """A configured deadline on a measure the Code has met or not at once (it has no time to
        take), named by its key; None when every configured deadline has a place. Read against
        the pinned catalogue, else the one in force today."""
        catalogue = self.catalogue(dt.date.today())
        for measure_id, settings in self.measures.items():
            definition = catalogue.by_id.get(measure_id)
            configured = settings.deadline_standard, settings.deadline_enhanced
            if definition is None or configured == (None, None):
                continue
            if definition.deadline_standard is None and definition.deadline_enhanced is None:
                return (
                    f"measures.{measure_id}: met or not at once under the Victims' Code "
                    f"{catalogue.version}, so it takes no deadline"
                )
        return None

    def fingerprint(self) -> str:
        """A SHA-256 of the settings that can change a figure (not of the file paths read)."""
        payload = self.model_dump(
            mode="json",
            exclude={"files", "mail", "warehouse", "schedule", "output_dir", "cluster"},
        )
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _either(configured: Any, catalogued: Any) -> Any:
    return configured if configured is not None else catalogued


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
    areas = raw.get("areas")
    for area in areas.values() if isinstance(areas, dict) else ():
        if isinstance(area, dict) and isinstance(area.get("sources"), dict):
            _resolve_source_paths(area["sources"], base)
    if isinstance(raw.get("sources"), dict):
        _resolve_source_paths(raw["sources"], base)
    code = raw.get("code")
    if isinstance(code, dict) and isinstance(code.get("catalogue_dir"), str):
        code["catalogue_dir"] = str((base / code["catalogue_dir"]).resolve())
    if "output_dir" in raw:
        raw["output_dir"] = str((base / raw["output_dir"]).resolve())
    mail = raw.get("mail")
    if isinstance(mail, dict) and isinstance(mail.get("ca_file"), str):
        mail["ca_file"] = str((base / mail["ca_file"]).resolve())
    return raw


def _resolve_source_paths(sources: dict[str, Any], base: Path) -> None:
    """Make the folders and SQLite files of some ``[sources]`` absolute against ``base``."""
    for source in sources.values():
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
    raw = _resolve_paths(_read_toml(DEFAULT_CONFIG), Path.cwd())  # the demo: in the working folder
    files = [str(DEFAULT_CONFIG)]
    if path is None and Path("vcc.toml").exists():
        path = Path("vcc.toml")
    if path is not None and path.resolve() != DEFAULT_CONFIG:
        path = path.resolve()
        users = _resolve_paths(_read_toml(path), path.parent)
        if users.get("areas"):
            # each area names its own sources; the shipped demo sources belong to none of them
            if users.get("sources"):
                raise ConfigError(
                    f"configuration {path}: [sources] and [areas] together: with areas, each "
                    "area has its own [areas.<name>.sources.<source>] sections"
                )
            raw["sources"] = {}
        raw = _overlay(raw, users)
        files.append(str(path))
    raw["files"] = files
    try:
        config = Config.model_validate(raw, context={FROM_FILE: True})
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"configuration {files[-1]}: {where}: {first['msg']}") from None
    if problem := config.deadline_problem():
        raise ConfigError(f"configuration {files[-1]}: {problem}")
    return config
