"""The measure catalogue: one file per version of the Victims' Code (``transforms/catalogues/``).

Each version's file (``<id>.toml``) lists its measures, in the words of the Code and of
CONTRACT.md (right, agency, paragraph, population, trigger, action, matching, pending rule and a
plain-English description), their default deadlines and how each is computed: a building block
of ``transforms/blocks.py`` with its parameters, or a named function of
``transforms/measure_functions.py``. A new Code, or a changed timescale, is a new or edited file,
not new Python. A version may be written as changes to another (``based_on``): its measures are
laid over that version's, key by key, and new ones added at the end.

The version in force on a quarter's first day is used, unless the configuration pins one.
Deadlines and targets in ``[measures.<id>]`` of the configuration override the catalogue's.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SHIPPED_CATALOGUES = Path(__file__).resolve().parent / "catalogues"
DEFAULT_VERSION = "2021-04"
BLOCKS = ("first_match", "own_date", "at_once", "matched_condition")


class CatalogueError(ValueError):
    """A catalogue version is unknown, or its file is malformed."""


@dataclass(frozen=True)
class MeasureDefinition:
    measure_id: str
    right: int
    agency: str  # police | cps | wcu | probation; R12-ACK takes each source supplying complaints
    title: str
    instance: str  # what one instance is, and its trigger (the population)
    action: str  # what meets it
    per_victim: bool = True  # has victim breakdowns (complaints do not)
    paragraph: str = ""
    trigger: str = ""
    matching: str = ""
    pending: str = ""
    description: str = ""
    deadline_standard: int | None = None  # working days; None: met or not at once
    deadline_enhanced: int | None = None
    block: str | None = None  # a building block of transforms/blocks.py ...
    function: str | None = None  # ... or a function of transforms/measure_functions.py
    params: Mapping[str, Any] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)  # configurable, "$name" in params
    requires: tuple[str, ...] = ()  # the optional data it needs (CONTRACT.md §6.1)
    reads: tuple[str, ...] = ()  # the "source.table"s its figures read (the data-quality words)
    stage: str = ""  # a deadline measure's stage in a caption: "hearing notifications"


@dataclass(frozen=True)
class Question:
    """A standard survey question (CONTRACT.md §7.3) and the measure it speaks to: the default
    of ``[feedback.questions]``."""

    question_id: str
    measure_id: str
    text: str


@dataclass(frozen=True)
class Catalogue:
    version: str  # e.g. "2021-04": the Code in force from 1 April 2021
    title: str
    in_force_from: dt.date
    measures: tuple[MeasureDefinition, ...]
    rights: Mapping[int, str] = field(default_factory=dict)  # the Code's rights, by number
    questions: tuple[Question, ...] = ()  # the standard survey questions, in catalogue order

    def question_for(self, measure_id: str) -> Question | None:
        """The standard survey question that speaks to ``measure_id``, if any."""
        return next((q for q in self.questions if q.measure_id == measure_id), None)

    @property
    def by_id(self) -> dict[str, MeasureDefinition]:
        return {measure.measure_id: measure for measure in self.measures}

    @property
    def ids(self) -> list[str]:
        return [measure.measure_id for measure in self.measures]

    def without(self, measure_ids: Iterable[str]) -> Catalogue:
        """The catalogue less ``measure_ids`` (e.g. those the data cannot support)."""
        left_out = set(measure_ids)
        kept = tuple(m for m in self.measures if m.measure_id not in left_out)
        return Catalogue(
            self.version, self.title, self.in_force_from, kept, self.rights, self.questions
        )


def _folders(extra: Path | None) -> list[Path]:
    return [SHIPPED_CATALOGUES, *([extra] if extra is not None else [])]


def catalogue_files(extra: Path | None = None) -> dict[str, Path]:
    """Version id -> its file, from the shipped folder and ``extra`` (which wins on a tie)."""
    files: dict[str, Path] = {}
    for folder in _folders(extra):
        if not folder.is_dir():
            raise CatalogueError(f"catalogue folder {folder} does not exist")
        files.update({path.stem: path for path in sorted(folder.glob("*.toml"))})
    return files


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise CatalogueError(f"catalogue {path} is not valid TOML: {error}") from None


def _entries(version: str, files: Mapping[str, Path], seen: Sequence[str] = ()) -> tuple:
    """(the [code] table, the measure entries, the rights, the survey questions) of
    ``version``, ``based_on`` resolved (a question of the same id replaces the base's)."""
    if version not in files:
        known = ", ".join(sorted(files)) or "none"
        raise CatalogueError(f"no Victims' Code catalogue {version!r} (known: {known})")
    if version in seen:
        raise CatalogueError(f"catalogue {version}: based_on goes round in a circle")
    raw = _read(files[version])
    code = raw.get("code", {})
    if code.get("id", version) != version:
        raise CatalogueError(f"catalogue {files[version]}: [code] id is not {version!r}")
    entries = [dict(entry) for entry in raw.get("measures", [])]
    rights = {int(number): name for number, name in raw.get("rights", {}).items()}
    questions = {entry["id"]: dict(entry) for entry in raw.get("questions", [])}
    if "based_on" not in code:
        return code, entries, rights, questions
    _, base, base_rights, base_questions = _entries(code["based_on"], files, [*seen, version])
    merged = {entry["id"]: entry for entry in base}
    for entry in entries:
        if entry.get("drop"):
            merged.pop(entry["id"], None)
            # a question of the base version about a measure this one drops goes with it
            base_questions = {
                q: question for q, question in base_questions.items()
                if question.get("measure") != entry["id"]
            }  # fmt: skip
            continue
        earlier = merged.get(entry["id"], {})
        params = {**earlier.get("params", {}), **entry.get("params", {})}
        merged[entry["id"]] = {**earlier, **entry, "params": params}
    return code, list(merged.values()), {**base_rights, **rights}, {**base_questions, **questions}


def _definition(entry: Mapping[str, Any], where: str) -> MeasureDefinition:
    try:
        deadline = entry.get("deadline", {})
        definition = MeasureDefinition(
            measure_id=entry["id"],
            right=int(entry["right"]),
            agency=entry["agency"],
            title=entry["title"],
            instance=entry["population"],
            action=entry["action"],
            per_victim=bool(entry.get("per_victim", True)),
            paragraph=entry.get("paragraph", ""),
            trigger=entry.get("trigger", ""),
            matching=entry.get("matching", ""),
            pending=entry.get("pending", ""),
            description=entry.get("description", ""),
            deadline_standard=deadline.get("standard"),
            deadline_enhanced=deadline.get("enhanced"),
            block=entry.get("block"),
            function=entry.get("function"),
            params=dict(entry.get("params", {})),
            settings=dict(entry.get("settings", {})),
            requires=tuple(entry.get("requires", ())),
            reads=tuple(entry.get("reads", ())),
            stage=entry.get("stage", ""),
        )
    except KeyError as missing:
        raise CatalogueError(f"{where}: a measure lacks {missing.args[0]}") from None
    if (definition.block is None) == (definition.function is None):
        raise CatalogueError(f"{where}: {definition.measure_id} needs a block or a function")
    if definition.block is not None and definition.block not in BLOCKS:
        raise CatalogueError(
            f"{where}: {definition.measure_id}: no block {definition.block!r} "
            f"(blocks: {', '.join(BLOCKS)})"
        )
    return definition


def _questions(
    entries: Iterable[Mapping[str, Any]], measure_ids: set[str], where: str
) -> tuple[Question, ...]:
    questions = []
    for entry in entries:
        try:
            question = Question(entry["id"], entry["measure"], entry.get("text", ""))
        except KeyError as missing:
            raise CatalogueError(f"{where}: a question lacks {missing.args[0]}") from None
        if question.measure_id not in measure_ids:
            raise CatalogueError(
                f"{where}: question {question.question_id} speaks to {question.measure_id}, "
                "not a measure of this version"
            )
        questions.append(question)
    return tuple(questions)


def load_catalogue(version: str = DEFAULT_VERSION, extra: Path | None = None) -> Catalogue:
    """The catalogue of ``version``, from the shipped folder or ``extra``."""
    files = catalogue_files(extra)
    code, entries, rights, question_entries = _entries(version, files)
    where = f"catalogue {files[version]}"
    measures = tuple(_definition(entry, where) for entry in entries)
    ids = [m.measure_id for m in measures]
    if len(set(ids)) != len(ids):
        raise CatalogueError(f"{where}: a measure id is listed twice")
    questions = _questions(question_entries.values(), set(ids), where)
    try:
        in_force = code["in_force_from"]
        return Catalogue(version, code.get("title", version), in_force, measures, rights, questions)
    except KeyError:
        raise CatalogueError(f"{where}: [code] lacks in_force_from") from None


def version_in_force(day: dt.date, extra: Path | None = None) -> str:
    """The version in force on ``day``: the latest in force from that day or earlier (the
    earliest held, for a day before any, as vcc holds no catalogue of older Codes)."""
    starts = {version: _read(path)["code"]["in_force_from"] for version, path in
              catalogue_files(extra).items()}  # fmt: skip
    if not starts:
        raise CatalogueError("no Victims' Code catalogue found")
    in_force = [version for version, start in starts.items() if start <= day]
    if not in_force:
        return min(starts, key=lambda version: starts[version])
    return max(in_force, key=lambda version: (starts[version], version))


_DEFAULT = load_catalogue()
# The catalogue of the Code in force from April 2021, for readers that want a measure's words
# whatever the run (titles and rights do not change between runs of one version).
MEASURES: tuple[MeasureDefinition, ...] = _DEFAULT.measures
MEASURES_BY_ID: dict[str, MeasureDefinition] = _DEFAULT.by_id
