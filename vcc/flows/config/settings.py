"""The settings of vcc's operations, one typed section each: the Code version (``[code]``), the
schedule, the warehouse, mail, the QAF sample, validation, the areas of a configuration of many and
their cluster. (Settings the figures or the report read live in ``transforms/settings.py``.)"""

from __future__ import annotations

import datetime as dt
import os
import re
import zoneinfo
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from vcc.flows.bounds import MAX_SAMPLE_SIZE
from vcc.flows.config.sources import SourceConfig
from vcc.flows.errors import ConfigError
from vcc.transforms.settings import OVERDISPERSION_METHODS, Strict

WAREHOUSE_FILE = "vcc-warehouse.sqlite"  # in the output folder, unless [warehouse] url_env


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
        if not self.url_env:
            return default_url(output_root)
        value = os.environ.get(self.url_env)
        if not value:
            raise ConfigError(f"warehouse: environment variable {self.url_env} is not set")
        return value


def default_url(output_root: Path) -> str:
    """The SQLite warehouse beside the outputs: ``<out>/vcc-warehouse.sqlite``."""
    return f"sqlite:///{(output_root / WAREHOUSE_FILE).resolve()}"


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


def some_districts(districts: list[str]) -> list[str]:
    """``districts`` if it names one; with none, every crime would be quarantined as "not a
    configured district"."""
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
    # its most similar areas (a police "most similar group"), by their names in [areas]
    similar: list[str] = Field(default_factory=list)

    _districts = field_validator("districts")(some_districts)

    @field_validator("sources")
    @classmethod
    def _has_sources(cls, sources: dict[str, SourceConfig]) -> dict[str, SourceConfig]:
        if not sources:
            raise ValueError("an area needs its own [areas.<name>.sources.<source>] sections")
        return sources


class ComparisonSettings(Strict):
    """How areas are compared (CONTRACT.md §7.2): ``overdispersion`` "additive" widens the funnel
    limits by the areas' spread beyond chance (ten areas or more), "none" keeps exact binomial
    limits."""

    overdispersion: str = "additive"

    @field_validator("overdispersion")
    @classmethod
    def _known_method(cls, method: str) -> str:
        if method not in OVERDISPERSION_METHODS:
            known = " or ".join(f'"{m}"' for m in OVERDISPERSION_METHODS)
            raise ValueError(f"unknown overdispersion method {method!r}: use {known}")
        return method


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
