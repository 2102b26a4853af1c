"""The report's words about measures come from the catalogue (issue 23): which measures read a
source table (the data-quality section) and what a deadline measure's stage is called (the
slowest-stages caption). A measure added to, or dropped from, the catalogue changes them."""

from __future__ import annotations

from vcc.reports.agencies import _stage_name
from vcc.reports.quality import READ_BY_MANY, TABLE_MEASURES, table_measures
from vcc.transforms.catalogue import MEASURES, MeasureDefinition


def measure(measure_id: str, *reads: str, stage: str = "") -> MeasureDefinition:
    return MeasureDefinition(
        measure_id=measure_id, right=8, agency="wcu", title=f"{measure_id} title",
        instance="each hearing", action="notified", function="f", reads=reads, stage=stage,
    )  # fmt: skip


def test_each_table_names_the_measures_that_read_it_in_catalogue_order() -> None:
    found = table_measures(
        [
            measure("R8-HEARING", "cps.hearings"),
            measure("R9-OUTCOME", "cps.outcomes"),
            measure("R11-REFER", "cps.outcomes"),
        ]
    )
    assert found == {
        **READ_BY_MANY,
        # in words, as the board reads them (the measure's words in the shipped catalogue)
        "cps.hearings": ("victim told of hearing date, time and place",),
        "cps.outcomes": (
            "victim told of verdict and sentence",
            "referral to the Victim Contact Scheme",
        ),
    }


def test_a_complaints_table_is_named_with_its_agency() -> None:
    found = table_measures([measure("R12-ACK", "police.complaints", "cps.complaints")])
    assert found["police.complaints"] == ("complaint acknowledged (Police)",)
    assert found["cps.complaints"] == ("complaint acknowledged (CPS)",)


def test_the_shipped_catalogue_says_which_measures_read_the_optional_tables() -> None:
    assert TABLE_MEASURES["police.victim_contacts"] == (
        "interpreter at contacts after a need is assessed",
        "written acknowledgement of the crime",
        "victim told how to claim compensation",
        "victim told of investigation events",
    )  # R1-INTERPRET, R3-ACK, R5-COMPENSATION and R6-UPDATE, in catalogue order
    assert TABLE_MEASURES["probation.complaints"] == ("complaint acknowledged (Probation)",)
    # every table a measure reads is a canonical table the data-quality section lists
    assert all(table.count(".") == 1 for m in MEASURES for table in m.reads)


def test_a_stage_is_called_by_its_catalogue_words_else_by_its_title() -> None:
    assert _stage_name("R8-HEARING") == "hearing notifications"
    assert _stage_name("R10-EXPENSES") == "witness expenses paid"  # no stage: its title
    assert _stage_name("X-UNKNOWN") == "x-unknown"
