"""Great Expectations' side of validation: each table's JSON suite run once over the whole frame
(``SuiteRunner``), its results reduced to what validation reads (``RuleResult``), and the Data
Docs of a run written as a static site showing counts and column names, never values or rows.
Great Expectations is imported only when a suite is run or the docs are written: it is slow to
import."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from vcc.flows.config import EXPECTATIONS_DIR
from vcc.flows.sources.offline_docs import make_offline

if TYPE_CHECKING:
    from vcc.flows.sources.validate import ValidationOutcome

TableKey = tuple[str, str]

# What the Data Docs show of a result: counts, and a table's column names; never values or rows.
DOCS_RESULT = frozenset(
    {
        "element_count",
        "unexpected_count",
        "unexpected_percent",
        "missing_count",
        "missing_percent",
        "unexpected_percent_total",
        "unexpected_percent_nonmissing",
        "observed_value",  # only table-level rules report one here: the column names
        "details",  # only the column-set rule reports details: the columns missing
    }
)
DOCS_SITE = "vcc"


@dataclass(frozen=True)
class RuleResult:
    """What we need of one Great Expectations result, free of its classes."""

    kind: str
    kwargs: dict[str, Any]
    meta: dict[str, Any]
    success: bool
    result: dict[str, Any]


class SuiteRunner:
    """Runs the JSON suites with Great Expectations on in-memory frames."""

    def __init__(self) -> None:
        # Imported here: importing Great Expectations takes seconds, and only validation needs it.
        # Inside: Great Expectations, 12,542 ms after the flow; only running a suite needs it
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        asset = context.data_sources.add_pandas("vcc").add_dataframe_asset("table")
        self._batches = asset.add_batch_definition_whole_dataframe("whole table")
        self._suite_class = gx.ExpectationSuite
        self.results: dict[TableKey, Any] = {}  # each suite's result, counts only

    def run(
        self, key: TableKey, frame: pd.DataFrame, parameters: dict[str, Any]
    ) -> list[RuleResult]:
        rules_json = suite_json(*key)
        if frame.empty:
            # No row can fail a row rule; skipping them saves Great Expectations' fixed cost
            # (some 10 ms a rule), which is most of the time on small tables.
            rules_json["expectations"] = [
                rule
                for rule in rules_json["expectations"]
                if rule["meta"]["severity"] == "critical"
            ]
        suite = self._suite_class(**rules_json)
        batch = self._batches.get_batch(batch_parameters={"dataframe": frame})
        outcome = batch.validate(
            suite,
            # COMPLETE gives every failing row label; the values themselves are not wanted.
            result_format={
                "result_format": "COMPLETE",
                "exclude_unexpected_values": True,
                "return_unexpected_index_query": False,
                "partial_unexpected_count": 0,
            },
            expectation_parameters=parameters,
        )
        rules = []
        for result in outcome.results:
            config = result.expectation_config
            assert config is not None  # a suite's results always carry their expectation
            rules.append(
                RuleResult(
                    kind=config.type,
                    kwargs=dict(config.kwargs),
                    meta=dict(config.meta or {}),
                    success=bool(result.success),
                    result=dict(result.result or {}),
                )
            )
            result.result = {k: v for k, v in (result.result or {}).items() if k in DOCS_RESULT}
        self.results[key] = outcome
        return rules


def build_data_docs(outcome: ValidationOutcome, folder: Path, run_name: str = "vcc") -> Path:
    """Write Great Expectations' Data Docs of ``outcome`` (one run's validation) into ``folder``,
    as a static HTML site; return its ``index.html``. See the module docstring for what it shows.
    """
    # Inside: Great Expectations, 12,542 ms after the flow; only running a suite needs it
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    context = gx.get_context(mode="ephemeral")
    site: Any = {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(folder.resolve()),
        },
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }
    context.add_data_docs_site(DOCS_SITE, site)
    run_id = RunIdentifier(run_name=run_name, run_time=outcome.validated_at)
    for (source, table), result in outcome.suite_results.items():
        name = f"{source}.{table}"
        context.suites.add(gx.ExpectationSuite(**suite_json(source, table)))
        identifier = ValidationResultIdentifier(
            ExpectationSuiteIdentifier(name=name), run_id, batch_identifier=name
        )
        result.meta.update(run_id=run_id, validation_time=run_id.run_time)  # shown on the page
        context.validation_results_store.set(identifier, result)
    context.build_data_docs(site_names=[DOCS_SITE])
    # Offline, with no request to any CDN: see flows/sources/offline_docs.py.
    passed = {".".join(key): bool(result.success) for key, result in outcome.suite_results.items()}
    make_offline(folder, passed)
    return folder / "index.html"


def suite_json(source: str, table: str) -> dict[str, Any]:
    path = EXPECTATIONS_DIR / f"{source}.{table}.json"
    return json.loads(path.read_text(encoding="utf-8"))
