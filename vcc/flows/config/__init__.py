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
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from vcc import shipped
from vcc.flows.config.settings import (
    AREA_NAME,
    RESERVED_AREA_NAMES,
    AreaConfig,
    ClusterSettings,
    CodeSettings,
    ComparisonSettings,
    MailSettings,
    QafSettings,
    ScheduleSettings,
    ValidationSettings,
    WarehouseSettings,
    is_plausible_address,
    some_districts,
)
from vcc.flows.config.sources import FROM_FILE, URL_KEYS, SourceConfig, TableSource
from vcc.flows.errors import ConfigError
from vcc.transforms.catalogue import Catalogue, CatalogueError, load_catalogue, version_in_force
from vcc.transforms.settings import (
    CalendarSettings,
    DisclosureSettings,
    FeedbackSettings,
    MeasureSettings,
    ReleaseSettings,
    ReportSettings,
    Strict,
)

DEFAULT_CONFIG = shipped("config", "default.toml")
EXPECTATIONS_DIR = shipped("expectations")


class Config(Strict):
    sources: dict[str, SourceConfig]
    areas: dict[str, AreaConfig] = Field(default_factory=dict)
    cluster: ClusterSettings = ClusterSettings()
    comparison: ComparisonSettings = ComparisonSettings()
    measures: dict[str, MeasureSettings] = Field(default_factory=dict)
    code: CodeSettings = CodeSettings()
    report: ReportSettings = ReportSettings()
    release: ReleaseSettings = ReleaseSettings()
    calendar: CalendarSettings = CalendarSettings()
    disclosure: DisclosureSettings = DisclosureSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    warehouse: WarehouseSettings = WarehouseSettings()
    mail: MailSettings = MailSettings()
    qaf: QafSettings = QafSettings()
    validation: ValidationSettings = ValidationSettings()
    feedback: FeedbackSettings = FeedbackSettings()  # the victims' survey's questions (§7.3)
    districts: list[str]
    output_dir: Path = Path("out")
    # The files this configuration was read from, for the manifest.
    files: list[str] = Field(default_factory=list)

    _districts = field_validator("districts")(some_districts)

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
        for name, area in areas.items():
            for other in area.similar:
                if other == name:
                    raise ValueError(f"{name}: similar names the area itself")
                if other not in areas:
                    known = ", ".join(areas)
                    raise ValueError(
                        f"{name}: similar names {other!r}, which is not an area (areas: {known})"
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

    def feedback_mapping(self, catalogue: Catalogue) -> dict[str, str]:
        """Survey question id -> the measure it speaks to: the catalogue's standard questions
        with ``[feedback.questions]`` laid over them."""
        defaults = {q.question_id: q.measure_id for q in catalogue.questions}
        return self.feedback.mapping(defaults)

    def feedback_problem(self) -> str | None:
        """A question of ``[feedback.questions]`` mapped to a measure the catalogue (pinned, else
        today's) does not hold; None when every one has its measure."""
        catalogue = self.catalogue(dt.date.today())
        for question_id, measure_id in self.feedback.questions.items():
            if measure_id and measure_id not in catalogue.by_id:
                return (
                    f"feedback.questions.{question_id}: {measure_id!r} is not a measure of the "
                    f"Victims' Code {catalogue.version} (see vcc measures)"
                )
        return None

    def fingerprinted_settings(self) -> dict[str, Any]:
        """The settings that can change a figure (not the file paths read), by section;
        ``[comparison]`` only with areas to compare, so a single area's hash is unchanged."""
        excluded = {"files", "mail", "warehouse", "schedule", "output_dir", "cluster"}
        payload = self.model_dump(
            mode="json", exclude=excluded if self.areas else excluded | {"comparison"}
        )
        if not self.feedback.questions:  # the default: the hash of every earlier configuration
            payload.pop("feedback")
        return payload

    def fingerprint(self) -> str:
        """A SHA-256 of ``fingerprinted_settings``."""
        payload = self.fingerprinted_settings()
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
        comparison = users.get("comparison")
        if "similar" in users or (isinstance(comparison, dict) and "similar" in comparison):
            raise ConfigError(
                f"configuration {path}: similar belongs in an [areas.<name>] section "
                "(similar = [...] names that area's most similar areas)"
                + ("" if users.get("areas") else "; this configuration has no [areas]")
            )
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
    if problem := config.deadline_problem() or config.feedback_problem():
        raise ConfigError(f"configuration {files[-1]}: {problem}")
    return config


__all__ = [
    "AREA_NAME",
    "DEFAULT_CONFIG",
    "EXPECTATIONS_DIR",
    "FROM_FILE",
    "RESERVED_AREA_NAMES",
    "URL_KEYS",
    "AreaConfig",
    "ClusterSettings",
    "CodeSettings",
    "ComparisonSettings",
    "Config",
    "MailSettings",
    "QafSettings",
    "ScheduleSettings",
    "SourceConfig",
    "TableSource",
    "ValidationSettings",
    "WarehouseSettings",
    "is_plausible_address",
    "load_config",
]
