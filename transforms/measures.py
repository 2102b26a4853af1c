"""Every measure of CONTRACT.md §3, as instance tables.

``compute_instances`` returns one row per instance of every measure: which measure and agency,
the victim and the record it is about, its trigger, due and action dates, its status (met,
not_met or pending), whether the victim is owed enhanced rights, and the breakdown attributes.
The report's figures, drill-downs and audits all read from this one table. Its repeated labels
(measure_id, agency, quarter, status and the breakdowns) are categoricals, identifiers strings:
at national scale the table has tens of millions of rows.

Each ``_r*`` function below implements one row of the measure table, in the words of the contract.
Their instance tables stay lean while they work: an instance carries the position of its victim
in the profile table (``_victim``), not a copy of the profile, and the victim's identifier and
breakdown attributes are looked up once for every measure together in ``_instance_table``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from vcc.transforms.calendar import WorkingDayCalendar
from vcc.transforms.matching import (
    STATUSES,
    assess_at_once,
    assess_deadline,
    earliest_on_or_after,
    known_by,
    local_date,
    positions_in,
)
from vcc.transforms.quarters import quarter_labels
from vcc.transforms.victims import BREAKDOWN_COLUMNS, victim_profiles

Tables = Mapping[tuple[str, str], pd.DataFrame]
_VICTIMS = ("police", "victims")  # read once, into the victim profiles

INSTANCE_COLUMNS = [
    "measure_id",
    "agency",
    "quarter",
    "victim_id",
    "record_key",
    "trigger_date",
    "due_date",
    "action_date",
    "status",
    "enhanced",
    *BREAKDOWN_COLUMNS,
]

# The columns of a measure's instance table while measures are computed; _victim is the position
# of the instance's victim in the profile table, -1 for complaints (which carry no victim).
VICTIM = "_victim"
LEAN_COLUMNS = [
    VICTIM,
    "record_key",
    "trigger_date",
    "due_date",
    "action_date",
    "status",
    "enhanced",
]

VNA_ITEMS = (
    "communication_needs_recorded",
    "vulnerability_recorded",
    "support_needs_recorded",
    "contact_preference_recorded",
    "special_measures_considered",
)


@dataclass(frozen=True)
class Deadline:
    """Working days allowed; ``None`` for a measure that is met or not at once."""

    standard: int | None
    enhanced: int | None


@dataclass(frozen=True)
class MeasureContext:
    """What every measure needs: the sources, the victims owed the Code, the cut-off and rules."""

    tables: Tables
    profiles: pd.DataFrame
    as_of: pd.Timestamp
    deadlines: Mapping[str, Deadline]
    calendar: WorkingDayCalendar
    since: pd.Timestamp | None  # the first day of the window instances are computed for

    @cached_property
    def victims(self) -> pd.DataFrame:
        """The profiles with their position (``_victim``), the handle instances carry."""
        return self.profiles.reset_index(drop=True).assign(
            **{VICTIM: np.arange(len(self.profiles))}
        )

    def in_window(self, dates: pd.Series) -> pd.Series:
        """Whether each date is in the window instances are computed for: ``since`` to D."""
        inside = dates <= self.as_of
        return inside if self.since is None else inside & (dates >= self.since)

    def dated(self, source: str, table: str, column: str) -> pd.DataFrame:
        """A table with ``<column>`` turned into local dates, rows dated after D left out."""
        frame = self.tables[(source, table)]
        dates = local_date(frame[column])
        return frame.assign(**{column: dates})[dates <= self.as_of]

    def triggers(self, source: str, table: str, column: str) -> pd.DataFrame:
        """The rows whose ``<column>`` triggers an instance in the window, as local dates. Rows
        before the window are left out here, before any matching is paid for them."""
        rows = self.dated(source, table, column)
        return rows[self.in_window(rows[column])]

    def action_dates(self, source: str, table: str, column: str) -> pd.DataFrame:
        """A table of candidate actions: ``action_date`` (local date, blank after D) and
        ``action_at`` (the timestamp, to order actions on the same day)."""
        frame = self.tables[(source, table)]
        return frame.assign(
            action_date=known_by(local_date(frame[column]), self.as_of),
            action_at=frame[column],
        )

    def assess(self, measure_id: str, instances: pd.DataFrame) -> pd.DataFrame:
        deadline = self.deadlines[measure_id]
        if deadline.standard is None or deadline.enhanced is None:
            raise ValueError(f"{measure_id} needs a deadline for standard and enhanced victims")
        return assess_deadline(
            self.not_before_report(instances),
            deadline.standard,
            deadline.enhanced,
            self.as_of,
            self.calendar,
        )

    def reported_dates(self, victim: pd.Series) -> np.ndarray:
        """The report date of each victim's crime, by victim position (NaT for -1)."""
        reported = self.profiles["reported_date"].array
        return np.asarray(reported.take(victim.to_numpy(), allow_fill=True))

    def not_before_report(self, instances: pd.DataFrame) -> pd.DataFrame:
        """An action dated before the victim's crime was reported never meets a duty, whatever
        the measure: such a date is a placeholder or an error, not the duty done."""
        if VICTIM not in instances or not len(instances):
            return instances
        reported = self.reported_dates(instances[VICTIM])
        action = instances["action_date"]
        return instances.assign(action_date=action.where(action.to_numpy() >= reported))


def _for_victims(frame: pd.DataFrame, ctx: MeasureContext) -> pd.DataFrame:
    """Attach the victim's enhanced status; rows about victims not owed the Code drop out here."""
    rows = frame[frame[VICTIM] >= 0].reset_index(drop=True)
    return rows.assign(enhanced=ctx.profiles["enhanced"].to_numpy()[rows[VICTIM].to_numpy()])


def _victim_instances(ctx: MeasureContext, *columns: str) -> pd.DataFrame:
    """One instance per victim owed the Code, triggered by their crime's report date, with the
    profile ``columns`` the measure needs."""
    victims = ctx.victims
    chosen = victims.loc[
        ctx.in_window(victims["reported_date"]),
        [VICTIM, "crime_ref", "reported_date", "enhanced", *columns],
    ]
    return chosen.reset_index(drop=True).rename(
        columns={"reported_date": "trigger_date", "crime_ref": "record_key"}
    )


def _r2_record(ctx: MeasureContext) -> pd.DataFrame:
    """R2-RECORD: each victim, trigger reported_at; met by the crime's recorded_at."""
    instances = _victim_instances(ctx, "recorded_date")
    recorded = known_by(instances["recorded_date"], ctx.as_of)
    action = recorded.where(recorded >= instances["trigger_date"])
    return ctx.assess("R2-RECORD", instances.assign(action_date=action))


def _r3_ack(ctx: MeasureContext) -> pd.DataFrame:
    """R3-ACK: each victim; met by a written_acknowledgement contact."""
    instances = _victim_instances(ctx)
    contacts = ctx.action_dates("police", "victim_contacts", "contacted_at")
    acknowledgements = contacts[contacts["contact_type"] == "written_acknowledgement"]
    matched = earliest_on_or_after(instances, acknowledgements, [VICTIM])
    return ctx.assess("R3-ACK", instances.assign(action_date=matched["action_date"]))


def _r4_vna(ctx: MeasureContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """R4-VNA: each victim; met by a needs assessment. Also R4-VNA-CONTENT: each victim whose
    assessment was matched (pending or not); met when it records all five required items."""
    instances = _victim_instances(ctx)
    assessments = ctx.action_dates("police", "needs_assessments", "completed_at")
    complete = assessments[list(VNA_ITEMS)].astype("boolean").fillna(False).all(axis=1)
    matched = earliest_on_or_after(
        instances, assessments.assign(complete=complete), [VICTIM], carry=["complete"]
    )
    vna = ctx.assess("R4-VNA", instances.assign(action_date=matched["action_date"]))
    has_assessment = matched["action_date"].notna()
    content = assess_at_once(
        instances.assign(action_date=matched["action_date"])[has_assessment],
        matched.loc[has_assessment, "complete"].astype("boolean"),
    )
    return vna, content


def _r4_refer(ctx: MeasureContext) -> pd.DataFrame:
    """R4-REFER: each victim whose referral_consent is not declined; met by a referral."""
    instances = _victim_instances(ctx, "referral_consent")
    instances = instances[instances["referral_consent"] != "declined"]
    referrals = ctx.action_dates("police", "referrals", "referred_at")
    matched = earliest_on_or_after(instances, referrals, [VICTIM])
    return ctx.assess("R4-REFER", instances.assign(action_date=matched["action_date"]))


def _r6_update(ctx: MeasureContext) -> pd.DataFrame:
    """R6-UPDATE: each (victim, investigation event) for victims who have not opted out,
    trigger event_at; met by a contact whose contact_type is the event_type.
    Right 6: 5 working days, 1 for victims owed enhanced rights."""
    events = ctx.triggers("police", "investigation_events", "event_at")
    victims = ctx.victims.loc[~ctx.victims["updates_opt_out"], ["crime_ref", VICTIM, "enhanced"]]
    instances = events[["crime_ref", "event_type", "event_at"]].merge(
        victims, on="crime_ref", how="inner"
    )
    instances = instances.assign(
        trigger_date=instances["event_at"],
        record_key=instances["crime_ref"] + ":" + instances["event_type"],
    )
    contacts = ctx.action_dates("police", "victim_contacts", "contacted_at").rename(
        columns={"contact_type": "event_type"}
    )
    matched = earliest_on_or_after(instances, contacts, [VICTIM, "event_type"])
    return ctx.assess("R6-UPDATE", instances.assign(action_date=matched["action_date"]))


def _r6_vcl(ctx: MeasureContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """R6-VCL: each CPS decision, trigger decided_at; met by a letter with the same urn, victim
    and decision type. Also R6-VRR: each no-charge or discontinuance whose letter was matched;
    met when that letter explains the Victims' Right to Review."""
    decisions = ctx.triggers("cps", "decisions", "decided_at")
    instances = _for_victims(decisions, ctx)
    instances = instances.assign(trigger_date=instances["decided_at"], record_key=instances["urn"])
    letters = ctx.action_dates("cps", "vcl_letters", "sent_at")
    matched = earliest_on_or_after(
        instances, letters, ["urn", VICTIM, "decision_type"], carry=["vrr_information"]
    )
    vcl = ctx.assess("R6-VCL", instances.assign(action_date=matched["action_date"]))
    reviewable = matched["action_date"].notna() & instances["decision_type"].isin(
        ["no_charge", "discontinued"]
    )
    vrr = assess_at_once(
        instances.assign(action_date=matched["action_date"])[reviewable],
        matched.loc[reviewable, "vrr_information"].astype("boolean"),
    )
    return vcl, vrr


def _r7_vps(ctx: MeasureContext) -> pd.DataFrame:
    """R7-VPS: each victim of a crime with a suspect_charged event, trigger the crime's first
    such event; met by a VPS offer at ANY date up to the due date (the on-or-after rule does not
    apply)."""
    # every charge up to D: a crime's first charge may come before the window
    events = ctx.dated("police", "investigation_events", "event_at")
    charged = events[events["event_type"] == "suspect_charged"]
    first_charge = charged.groupby("crime_ref", as_index=False)["event_at"].min()
    first_charge = first_charge[ctx.in_window(first_charge["event_at"])]
    instances = first_charge.merge(ctx.victims[["crime_ref", VICTIM, "enhanced"]], on="crime_ref")
    instances = instances.assign(
        trigger_date=instances["event_at"], record_key=instances["crime_ref"]
    )
    offers = ctx.action_dates("police", "vps_offers", "offered_at")
    # at any date, but never before the crime was reported (issue 14: a placeholder date)
    offers = offers[offers["action_date"].to_numpy() >= ctx.reported_dates(offers[VICTIM])]
    first_offer = offers.groupby(VICTIM, as_index=False)["action_date"].min()
    instances = instances.merge(first_offer, on=VICTIM, how="left")
    return ctx.assess("R7-VPS", instances)


def _notified_rows(
    ctx: MeasureContext, table: str, key: str | None, measure_id: str
) -> pd.DataFrame:
    """R8-HEARING and R9-OUTCOME: each row, trigger received_at; met by its
    victim_notified_at."""
    rows = _for_victims(ctx.triggers("cps", table, "received_at"), ctx)
    notified = known_by(local_date(rows["victim_notified_at"]), ctx.as_of)
    instances = rows.assign(
        trigger_date=rows["received_at"],
        record_key=rows[key] if key else rows["urn"],
        action_date=notified.where(notified >= rows["received_at"]),
    )
    return ctx.assess(measure_id, instances)


def _r11_refer(ctx: MeasureContext) -> pd.DataFrame:
    """R11-REFER: each sentence for a VCS specified offence of custody of 12 months or more, or
    a hospital order, trigger outcome_at; met by a VCS referral with the same urn and victim."""
    outcomes = ctx.triggers("cps", "outcomes", "outcome_at")
    long_custody = (outcomes["sentence_type"] == "custody") & (outcomes["sentence_months"] >= 12)
    qualifying = (
        (outcomes["outcome_type"] == "sentence")
        & outcomes["vcs_specified_offence"].astype("boolean").fillna(False)
        & (long_custody | (outcomes["sentence_type"] == "hospital_order")).fillna(False)
    )
    instances = _for_victims(outcomes[qualifying.astype(bool)], ctx)
    instances = instances.assign(trigger_date=instances["outcome_at"], record_key=instances["urn"])
    referrals = ctx.action_dates("probation", "vcs_referrals", "referred_at")
    matched = earliest_on_or_after(instances, referrals, ["urn", VICTIM])
    return ctx.assess("R11-REFER", instances.assign(action_date=matched["action_date"]))


def _r11_contact(ctx: MeasureContext) -> pd.DataFrame:
    """R11-CONTACT: each VCS referral, trigger referred_at; met by its first_contact_at."""
    rows = _for_victims(ctx.triggers("probation", "vcs_referrals", "referred_at"), ctx)
    contacted = known_by(local_date(rows["first_contact_at"]), ctx.as_of)
    instances = rows.assign(
        trigger_date=rows["referred_at"],
        record_key=rows["referral_id"],
        action_date=contacted.where(contacted >= rows["referred_at"]),
    )
    return ctx.assess("R11-CONTACT", instances)


def _r11_release(ctx: MeasureContext) -> pd.DataFrame:
    """R11-RELEASE: each release on or before D; met only if the victim was notified on a date
    before the release date. Never pending: the releases are already final."""
    rows = _for_victims(ctx.triggers("probation", "release_notifications", "release_at"), ctx)
    notified = known_by(local_date(rows["notified_at"]), ctx.as_of)
    instances = ctx.not_before_report(
        rows.assign(trigger_date=rows["release_at"], record_key=rows["urn"], action_date=notified)
    )
    return assess_at_once(instances, instances["action_date"] < rows["release_at"])


def _r12_ack(ctx: MeasureContext) -> dict[str, pd.DataFrame]:
    """R12-ACK: each complaint, trigger received_at; met by its acknowledged_at. Reported once
    per source that supplies complaints (source -> instances), with the standard deadline and no
    victim breakdowns."""
    per_source = {}
    deadline = ctx.deadlines["R12-ACK"]
    for source in ("police", "cps", "probation"):
        if (source, "complaints") not in ctx.tables:
            continue
        rows = ctx.triggers(source, "complaints", "received_at")
        acknowledged = known_by(local_date(rows["acknowledged_at"]), ctx.as_of)
        instances = pd.DataFrame(
            {
                VICTIM: -1,
                "record_key": rows["complaint_id"],
                "trigger_date": rows["received_at"],
                "action_date": acknowledged.where(acknowledged >= rows["received_at"]),
                "enhanced": False,  # complaints carry no victim: the standard deadline applies
            }
        )
        assert deadline.standard is not None
        per_source[source] = assess_deadline(
            instances, deadline.standard, deadline.standard, ctx.as_of, ctx.calendar
        )
    return per_source


def _enh_identified(ctx: MeasureContext) -> pd.DataFrame:
    """ENH-IDENTIFIED: each victim owed enhanced rights; met when the police's enhanced_flag is
    true."""
    instances = _victim_instances(ctx, "enhanced_flag")
    instances = instances[instances["enhanced"]]
    return assess_at_once(instances.assign(action_date=pd.NaT), instances["enhanced_flag"])


# measure id -> (agency, builder). Builders returning two frames yield a measure and its child.
_BUILDERS: dict[str, tuple[str, Callable[[MeasureContext], pd.DataFrame]]] = {
    "R2-RECORD": ("police", _r2_record),
    "R3-ACK": ("police", _r3_ack),
    "R4-REFER": ("police", _r4_refer),
    "R6-UPDATE": ("police", _r6_update),
    "R7-VPS": ("police", _r7_vps),
    "R8-HEARING": ("wcu", lambda ctx: _notified_rows(ctx, "hearings", "hearing_id", "R8-HEARING")),
    "R9-OUTCOME": ("wcu", lambda ctx: _notified_rows(ctx, "outcomes", None, "R9-OUTCOME")),
    "R11-REFER": ("wcu", _r11_refer),
    "R11-CONTACT": ("probation", _r11_contact),
    "R11-RELEASE": ("probation", _r11_release),
    "ENH-IDENTIFIED": ("police", _enh_identified),
}


def _categorical(
    codes: np.ndarray, labels: Sequence[str] | pd.api.extensions.ExtensionArray
) -> pd.Series:
    """``labels[code]`` for each code (missing where it is -1) as a categorical column, its
    categories in the order the strings sort in. Millions of rows share a few labels: each is
    kept once, and grouping by them later costs nothing."""
    return pd.Series(pd.Categorical(labels).take(np.asarray(codes, dtype="int64"), allow_fill=True))


def _quarters(trigger: pd.Series) -> pd.Series:
    """The quarter label of each trigger date, worked out once per distinct date."""
    codes, distinct = pd.factorize(trigger)
    return _categorical(codes, quarter_labels(pd.Series(distinct)).array)


def _victim_columns(profiles: pd.DataFrame, victim: np.ndarray) -> dict[str, pd.Series]:
    """Each instance's victim_id and breakdown attributes, by its victim's position (missing
    for complaints, which have no victim)."""
    victim_ids = profiles["victim_id"].array.take(victim, allow_fill=True)
    columns = {"victim_id": pd.Series(victim_ids, dtype="string")}
    for column in BREAKDOWN_COLUMNS:
        codes, labels = pd.factorize(profiles[column])
        codes = pd.api.extensions.take(codes, victim, allow_fill=True, fill_value=-1)
        columns[column] = _categorical(codes, labels)
    return columns


def _instance_table(
    parts: Sequence[tuple[str, str, pd.DataFrame]], profiles: pd.DataFrame
) -> pd.DataFrame:
    """The measures' lean instance tables (measure id, agency, instances) as one table of
    INSTANCE_COLUMNS: each victim looked up once, repeated labels as categoricals."""
    found = [(measure_id, agency, frame) for measure_id, agency, frame in parts if len(frame)]
    if not found:
        return pd.DataFrame({column: pd.Series(dtype="object") for column in INSTANCE_COLUMNS})
    lean = pd.concat([frame for _, _, frame in found], ignore_index=True)
    part = np.repeat(np.arange(len(found)), [len(frame) for _, _, frame in found])
    table = lean.assign(
        measure_id=_categorical(part, [measure_id for measure_id, _, _ in found]),
        agency=_categorical(part, [agency for _, agency, _ in found]),
        quarter=_quarters(lean["trigger_date"]),
        status=lean["status"].astype(pd.CategoricalDtype(STATUSES)),
        **_victim_columns(profiles, lean[VICTIM].to_numpy()),
    )
    return table[INSTANCE_COLUMNS]


def _with_victim_positions(tables: Tables, profiles: pd.DataFrame) -> dict:
    """The tables, those that name a victim with its position in the profile table as well
    (``_victim``, -1 for victims not owed the Code): measures then join and match victims on
    integers, and each victim id is hashed once, here."""
    named = [key for key, frame in tables.items() if "victim_id" in frame and key != _VICTIMS]
    positions = positions_in(profiles["victim_id"], *(tables[key]["victim_id"] for key in named))
    numbered = {
        key: tables[key].assign(**{VICTIM: at}) for key, at in zip(named, positions, strict=True)
    }
    return {**tables, **numbered}


def compute_instances(
    tables: Tables,
    as_of: dt.date,
    deadlines: Mapping[str, Deadline],
    calendar: WorkingDayCalendar,
    since: dt.date | None = None,
) -> pd.DataFrame:
    """Every instance of every measure whose trigger date is on or before ``as_of`` (and on or
    after ``since``, to limit the work to a trend window). ``tables`` maps (source, table) to the
    validated, typed canonical frames."""
    profiles = victim_profiles(tables[_VICTIMS], tables[("police", "crimes")])
    tables = _with_victim_positions(tables, profiles)
    window_start = pd.Timestamp(since) if since is not None else None
    ctx = MeasureContext(tables, profiles, pd.Timestamp(as_of), deadlines, calendar, window_start)
    # each measure's instances cut to LEAN_COLUMNS as soon as they are made, to hold no more
    parts = [
        (measure_id, agency, builder(ctx)[LEAN_COLUMNS])
        for measure_id, (agency, builder) in _BUILDERS.items()
    ]
    vna, vna_content = _r4_vna(ctx)
    vcl, vrr = _r6_vcl(ctx)
    parts += [
        ("R4-VNA", "police", vna[LEAN_COLUMNS]),
        ("R4-VNA-CONTENT", "police", vna_content[LEAN_COLUMNS]),
        ("R6-VCL", "cps", vcl[LEAN_COLUMNS]),
        ("R6-VRR", "cps", vrr[LEAN_COLUMNS]),
    ]
    parts += [
        ("R12-ACK", source, complaints[LEAN_COLUMNS])
        for source, complaints in _r12_ack(ctx).items()
    ]
    return _instance_table(parts, profiles)
