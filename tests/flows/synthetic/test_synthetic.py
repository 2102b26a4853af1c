"""The synthetic demo sources: reproducible, canonical, realistic in volume and compliance, with a
few faults, and written the way each agency delivers them."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vcc.flows.config import load_config
from vcc.flows.errors import VccError
from vcc.flows.sources.extract import extract_source
from vcc.flows.synthetic import generate_sources, write_demo_sources
from vcc.flows.synthetic.compliance import WORSE_DISTRICT
from vcc.transforms.quarters import Quarter
from vcc.transforms.schema import (
    CANONICAL,
    CONTACT_TYPES,
    OFFENCE_CATEGORIES,
    VICTIMS_OWED_THE_CODE,
)
from vcc.transforms.victims import owed_enhanced_rights

FIRST, LAST = Quarter(2024, 1), Quarter(2024, 2)
UNTIL = dt.date(2025, 3, 31)  # well after the last quarter: actions and court stages follow
QUARTER_START, QUARTER_END = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-07-01")


@pytest.fixture(scope="module")
def sources():
    return generate_sources(FIRST, LAST, scale=0.1, seed=7, until=UNTIL)


@pytest.fixture(scope="module")
def eight_quarters():
    return generate_sources(
        Quarter(2024, 1), Quarter(2025, 4), scale=0.15, seed=3, until=dt.date(2026, 1, 31)
    )


@pytest.fixture(scope="module")
def written(sources, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("demo")
    return out, write_demo_sources(sources, out, load_config())


def in_requested_quarters(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return frame[(frame[column] >= QUARTER_START) & (frame[column] < QUARTER_END)]


# --- reproducible and canonical ---------------------------------------------------------------


def test_the_same_seed_gives_identical_tables(sources) -> None:
    again = generate_sources(FIRST, LAST, scale=0.1, seed=7, until=UNTIL)
    for source, tables in sources.items():
        for table, frame in tables.items():
            pd.testing.assert_frame_equal(frame, again[source][table])


def test_another_seed_gives_other_tables(sources) -> None:
    other = generate_sources(FIRST, LAST, scale=0.1, seed=8, until=UNTIL)
    assert not sources["police"]["crimes"].equals(other["police"]["crimes"])
    assert not sources["cps"]["hearings"].equals(other["cps"]["hearings"])


def test_every_canonical_table_is_there_with_exactly_its_columns_and_types(sources) -> None:
    kinds = {
        "str": "string",
        "datetime": "datetime64",
        "bool": "boolean",
        "int": "Int64",
        "float": "Float64",
    }
    assert set(sources) == set(CANONICAL)
    for source, tables in CANONICAL.items():
        assert set(sources[source]) == set(tables)
        for name, table in tables.items():
            frame = sources[source][name]
            assert list(frame.columns) == table.column_names, (source, name)
            for column in table.columns:
                assert str(frame[column.name].dtype).startswith(kinds[column.kind]), (
                    source,
                    name,
                    column.name,
                )
                if not column.nullable:
                    assert frame[column.name].notna().all(), (source, name, column.name)


def test_quarters_out_of_order_or_after_the_as_of_day_are_errors_for_the_analyst() -> None:
    # (a malformed quarter never gets here: the command line's QUARTER type refuses it)
    with pytest.raises(VccError, match="before"):
        generate_sources(Quarter(2025, 1), Quarter(2024, 1), until=UNTIL)
    with pytest.raises(VccError, match="as-of day"):
        generate_sources(Quarter(2025, 1), Quarter(2025, 2), until=dt.date(2024, 12, 31))


# --- volumes ----------------------------------------------------------------------------------


def test_volumes_per_quarter_are_those_of_a_cumbria_sized_force_at_scale(sources) -> None:
    police, cps = sources["police"], sources["cps"]
    crimes = in_requested_quarters(police["crimes"], "reported_at")
    per_quarter = len(crimes) / 2
    assert 780 <= per_quarter <= 1020  # about 9,000 a quarter at scale 1
    victims = police["victims"][police["victims"]["crime_ref"].isin(crimes["crime_ref"])]
    assert 0.84 <= len(victims) / len(crimes) <= 0.97  # some crimes have no victim, a few two
    assert 0.03 <= (victims["victim_type"] == "business").mean() <= 0.08
    assert 0.015 <= (victims["victim_type"] == "business_named_contact").mean() <= 0.06

    events = police["investigation_events"]
    events = events[events["crime_ref"].isin(crimes["crime_ref"])]
    assert 1.5 <= len(events) / len(crimes) <= 2.1
    charged = events.loc[events["event_type"] == "suspect_charged", "crime_ref"].nunique()
    assert 0.09 <= charged / len(crimes) <= 0.13
    cases = cps["cases"][cps["cases"]["crime_ref"].isin(crimes["crime_ref"])]
    assert 0.10 <= len(cases) / len(crimes) <= 0.16

    assessed = police["needs_assessments"]["victim_id"].isin(victims["victim_id"]).sum()
    assert 0.80 <= assessed / len(victims) <= 0.95
    decisions = in_requested_quarters(cps["decisions"], "decided_at")
    assert 15 <= len(decisions) / 2 <= 45  # a few hundred a quarter at scale 1
    referrals = in_requested_quarters(sources["probation"]["vcs_referrals"], "referred_at")
    assert 4 <= len(referrals) / 2 <= 18  # about 80 to 150 a quarter at scale 1
    complaints = in_requested_quarters(police["complaints"], "received_at")
    assert 4 <= len(complaints) / 2 <= 18  # about 100 a quarter at scale 1


def test_the_offence_mix_and_districts_look_like_cumbria(sources) -> None:
    crimes = sources["police"]["crimes"]
    mix = crimes["offence_category"].value_counts(normalize=True)
    assert mix.index[0] in ("assault_without_injury", "theft")
    violence = crimes[
        crimes["offence_category"].isin(
            ["assault_with_injury", "assault_without_injury", "wounding_gbh"]
        )
    ]
    assert 0.14 <= violence["is_domestic_abuse"].mean() <= 0.22
    busiest = crimes["district"].value_counts().index[:2]
    assert set(busiest) == {"Carlisle", "Barrow-in-Furness"}
    people = sources["police"]["victims"].query("victim_type == 'person'")
    assert 0.88 <= (people["ethnicity"] == "white").mean() <= 0.97
    assert people["ethnicity"].isna().any() and people["has_disability"].isna().any()


# --- the as-of day ------------------------------------------------------------------------------


def test_nothing_but_a_listed_hearing_is_dated_after_the_as_of_day() -> None:
    until = dt.date(2024, 5, 15)
    tables = generate_sources(FIRST, LAST, scale=0.1, seed=2, until=until)
    cutoff = pd.Timestamp(until) + pd.Timedelta(days=1)
    for source, frames in tables.items():
        for name, frame in frames.items():
            for column in frame.select_dtypes("datetime").columns.drop(
                "hearing_at", errors="ignore"
            ):
                assert (frame[column].dropna() < cutoff).all(), (source, name, column)
    # A hearing is listed (received) before it is held: its date may be after the extract.
    hearings = tables["cps"]["hearings"]
    assert (hearings["received_at"] < cutoff).all() and (hearings["hearing_at"] >= cutoff).any()
    reported = tables["police"]["crimes"]["reported_at"]
    assert reported.max() >= pd.Timestamp(until) - pd.Timedelta(days=2)


# --- faults -----------------------------------------------------------------------------------


def test_faults_are_present_at_a_small_rate(sources) -> None:
    police, cps, probation = sources["police"], sources["cps"], sources["probation"]

    def rate(count: int, frame: pd.DataFrame) -> float:
        return count / len(frame)

    contacts, crimes = police["victim_contacts"], police["crimes"]
    assert 0 < rate(contacts.duplicated().sum(), contacts) < 0.01
    assert 0 < rate(crimes["crime_ref"].duplicated().sum(), crimes) < 0.015
    assert 0 < rate((~crimes["offence_category"].isin(OFFENCE_CATEGORIES)).sum(), crimes) < 0.01
    assert "burglary_dwelling" in set(crimes["offence_category"])
    assert "letter" in set(contacts["contact_type"]) - set(CONTACT_TYPES)
    assert 0 < rate((crimes["recorded_at"] < crimes["reported_at"]).sum(), crimes) < 0.01
    assert (police["victims"]["age_at_offence"] == 150).any()

    known_victims = set(police["victims"]["victim_id"])
    hearings = cps["hearings"]
    assert 0 < rate((~hearings["victim_id"].isin(known_victims)).sum(), hearings) < 0.01
    outcomes = cps["outcomes"]
    assert (~outcomes["urn"].isin(set(cps["cases"]["urn"]))).any()
    referrals = probation["vcs_referrals"]
    unlinked = ~referrals["victim_id"].isin(known_victims) | ~referrals["urn"].isin(
        set(cps["cases"]["urn"])
    )
    assert rate(unlinked.sum(), referrals) < 0.05


# --- written as the agencies deliver -----------------------------------------------------------


def read_back(path: Path, source: str, table: str) -> pd.DataFrame:
    """Read an agency file and apply the configured mapping, as an analyst would by hand."""
    config = load_config().sources[source]
    spec = config.table(table)
    if path.suffix == ".xlsx":
        raw = pd.read_excel(path, sheet_name=spec.sheet, dtype=str, engine="calamine")
    else:
        raw = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            encoding=spec.encoding or config.encoding,
        )
    frame = raw.rename(columns=spec.rename)[CANONICAL[source][table].column_names]
    for name, codes in spec.values.items():
        frame[name] = frame[name].replace(codes)
    date_format = spec.date_format or config.date_format
    for column in CANONICAL[source][table].columns:
        if column.kind == "datetime":
            frame[column.name] = pd.to_datetime(frame[column.name], format=date_format)
        elif column.kind == "bool":
            frame[column.name] = frame[column.name].map({"true": True, "false": False})
    return frame


def test_the_cps_drop_uses_its_own_names_codes_and_dates(written) -> None:
    out, _ = written
    raw = pd.read_csv(out / "cps" / "decisions.csv", dtype=str, encoding="cp1252")
    assert list(raw.columns[:4]) == ["URN", "Victim Ref", "Decision", "Decision Date"]
    assert set(raw["Decision"]) == {"NFA", "DISC", "ALT"}
    assert raw["Decision Date"].str.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d").all()
    outcomes = pd.read_csv(out / "cps" / "outcomes.csv", dtype=str, encoding="cp1252")
    assert {"IMP", "SSO", "CO"} <= set(outcomes["Disposal"].dropna())
    assert set(outcomes["VCS Offence"]) == {"Y", "N"}


def test_the_cps_drop_is_windows_1252_with_staff_names_beyond_ascii(written) -> None:
    out, _ = written
    data = (out / "cps" / "decisions.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    lawyers = pd.read_csv(out / "cps" / "decisions.csv", encoding="cp1252")["Reviewing Lawyer"]
    assert lawyers.str.contains("’").any()
    hearings = pd.read_excel(
        out / "cps" / "hearings.xlsx", sheet_name="Hearings", engine="calamine"
    )
    assert hearings["Witness Care Officer"].str.contains("[’áéëñüô]").any()


@pytest.mark.parametrize("table", list(CANONICAL["cps"]))
def test_each_cps_file_reads_back_through_the_configured_mapping(sources, written, table) -> None:
    out, _ = written
    spec = load_config().sources["cps"].table(table)
    path = out / "cps" / (spec.file or f"{table}.csv")
    expected = sources["cps"][table]
    pd.testing.assert_frame_equal(read_back(path, "cps", table).astype(expected.dtypes), expected)


def test_the_police_database_holds_iso_text_times_and_integer_booleans(sources, written) -> None:
    out, _ = written
    with sqlite3.connect(out / "police.sqlite") as connection:
        tables = {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        reported, flag = connection.execute(
            "SELECT reported_at, is_domestic_abuse FROM crimes LIMIT 1"
        ).fetchone()
        crimes = pd.read_sql("SELECT * FROM crimes", connection)
    assert tables == set(CANONICAL["police"])
    assert pd.Timestamp(reported).isoformat() == reported and flag in (0, 1)
    assert len(crimes) == len(sources["police"]["crimes"])


def test_the_probation_folder_has_canonical_csv_and_a_release_workbook(sources, written) -> None:
    out, paths = written
    assert {p.name for p in paths if p.parent.name == "probation"} == {
        "vcs_referrals.csv",
        "complaints.csv",
        "release_notifications.xlsx",
    }
    referrals = pd.read_csv(out / "probation" / "vcs_referrals.csv")
    assert list(referrals.columns) == CANONICAL["probation"]["vcs_referrals"].column_names
    releases = pd.read_excel(
        out / "probation" / "release_notifications.xlsx", sheet_name="Releases", engine="calamine"
    )
    assert len(releases) == len(sources["probation"]["release_notifications"])


def test_the_written_demo_reads_through_the_shipped_demo_configuration(sources, written) -> None:
    out, _ = written
    demo = load_config().sources
    located = {
        "police": demo["police"].model_copy(update={"url": f"sqlite:///{out / 'police.sqlite'}"}),
        "cps": demo["cps"].model_copy(update={"path": out / "cps"}),
        "probation": demo["probation"].model_copy(update={"path": out / "probation"}),
        "feedback": demo["feedback"].model_copy(update={"path": out / "feedback"}),
    }
    for name, source in located.items():
        tables = extract_source(name, source)
        assert set(tables) == set(CANONICAL[name])
        for table, raw in tables.items():
            assert len(raw.frame) == len(sources[name][table]), (name, table)


def test_the_victims_survey_answers_as_surveys_do(sources) -> None:
    # CONTRACT.md §7.3: about one victim in ten who is a person answers, none on or after the
    # extract's day; every standard question is put to every respondent; victims remember being
    # kept informed less often than a record-based rate (about 0.54 of yes or no), and those the
    # records show offered a VPS say yes more often than the rest
    survey, police = sources["feedback"], sources["police"]
    people = police["victims"].drop_duplicates("victim_id")
    people = people[people["victim_type"] == "person"]
    responses, answers = survey["responses"], survey["answers"]
    assert 0.08 < len(responses) / len(people) < 0.11
    assert responses["response_id"].is_unique
    assert (responses["responded_at"] < pd.Timestamp(UNTIL)).all()
    assert 0.25 < responses["crime_ref"].isna().mean() < 0.45  # anonymous
    asked = answers.groupby("response_id")["question_id"].nunique()
    assert (asked == 11).all() and len(asked) == len(responses)
    informed = answers.loc[answers["question_id"] == "q_kept_informed", "answer"]
    counted = informed[informed.isin(["yes", "no"])]
    assert 0.48 < (counted == "yes").mean() < 0.60
    vps = answers[answers["question_id"] == "q_offered_vps"].merge(responses, on="response_id")
    offered = vps["crime_ref"].isin(
        police["victims"].loc[police["victims"]["victim_id"].isin(police["vps_offers"]["victim_id"]),
                              "crime_ref"])  # fmt: skip
    said = vps[vps["answer"].isin(["yes", "no"])]
    yes_share = (said["answer"] == "yes").groupby(offered[said.index]).mean()
    assert yes_share[True] > yes_share[False] + 0.05


# --- the compliance a report should find (hand-checked with plain pandas) ----------------------


def on_time(trigger: pd.Series, action: pd.Series, working_days: np.ndarray | int) -> pd.Series:
    """CONTRACT.md §1 (weekends only): an action on or after the trigger date, by the due date."""
    start = trigger.to_numpy(dtype="datetime64[D]")
    due = np.busday_offset(start, working_days, roll="backward")
    done = action.to_numpy(dtype="datetime64[D]")
    return pd.Series(~np.isnat(done) & (done >= start) & (done <= due), index=trigger.index)


def victims_owed_the_code(police: dict[str, pd.DataFrame]) -> pd.DataFrame:
    crimes = police["crimes"].drop_duplicates("crime_ref")
    victims = police["victims"].drop_duplicates("victim_id").merge(crimes, on="crime_ref")
    victims = victims[victims["victim_type"].isin(VICTIMS_OWED_THE_CODE)]
    return victims.assign(
        enhanced=owed_enhanced_rights(victims).to_numpy(),
        quarter=victims["reported_at"].dt.to_period("Q").astype(str),
    )


def first_action(victims: pd.DataFrame, actions: pd.DataFrame, column: str) -> pd.Series:
    first = actions.groupby("victim_id")[column].min()
    return victims["victim_id"].map(first)


def test_needs_assessments_improve_quarter_on_quarter(eight_quarters) -> None:
    police = eight_quarters["police"]
    victims = victims_owed_the_code(police)
    victims["met"] = on_time(
        victims["reported_at"],
        first_action(victims, police["needs_assessments"], "completed_at"),
        2,
    )
    by_quarter = victims.groupby("quarter")["met"].mean()
    assert by_quarter["2025Q4"] - by_quarter["2024Q1"] >= 0.08
    assert 0.68 <= victims.query("'2024Q1' <= quarter <= '2025Q4'")["met"].mean() <= 0.82


def test_one_district_acknowledges_noticeably_worse_than_the_busiest(eight_quarters) -> None:
    police = eight_quarters["police"]
    victims = victims_owed_the_code(police)
    contacts = police["victim_contacts"].query("contact_type == 'written_acknowledgement'")
    victims["met"] = on_time(
        victims["reported_at"], first_action(victims, contacts, "contacted_at"), 5
    )
    by_district = victims.groupby("district")["met"].mean()
    assert by_district["Carlisle"] - by_district[WORSE_DISTRICT] >= 0.08
    assert by_district.idxmin() == WORSE_DISTRICT


def test_enhanced_victims_are_often_updated_later_than_their_one_working_day(
    eight_quarters,
) -> None:
    police = eight_quarters["police"]
    victims = victims_owed_the_code(police).query("not updates_opt_out")
    pairs = victims[["victim_id", "crime_ref", "enhanced"]].merge(
        police["investigation_events"].drop_duplicates(), on="crime_ref"
    )
    contacts = police["victim_contacts"].rename(columns={"contact_type": "event_type"})
    matched = pairs.merge(contacts, on=["victim_id", "event_type"], how="left")
    matched = matched[
        matched["contacted_at"].isna()
        | (matched["contacted_at"].dt.normalize() >= matched["event_at"].dt.normalize())
    ]
    first = matched.groupby(["victim_id", "event_type", "event_at"], as_index=False).agg(
        enhanced=("enhanced", "first"), contacted_at=("contacted_at", "min")
    )
    deadline = np.where(first["enhanced"], 1, 5)
    first["met"] = on_time(first["event_at"], first["contacted_at"], deadline)
    rates = first.groupby("enhanced")["met"].mean()
    assert rates[False] - rates[True] >= 0.2
    assert 0.60 <= first["met"].mean() <= 0.78


def test_about_two_thirds_of_victims_owed_enhanced_rights_are_flagged(eight_quarters) -> None:
    victims = victims_owed_the_code(eight_quarters["police"])
    identified = victims.loc[victims["enhanced"], "enhanced_flag"].mean()
    assert 0.58 <= identified <= 0.72


def test_hearing_notices_slip_over_the_quarters(eight_quarters) -> None:
    hearings = eight_quarters["cps"]["hearings"].drop_duplicates("hearing_id")
    hearings = hearings.assign(
        met=on_time(hearings["received_at"], hearings["victim_notified_at"], 1),
        year=hearings["received_at"].dt.year,
    )
    by_year = hearings.groupby("year")["met"].mean()
    assert by_year[2024] - by_year[2025] >= 0.03
