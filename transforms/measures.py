"""Every measure of CONTRACT.md §3, as instance tables.

``compute_instances`` returns one row per instance of every measure: which measure and agency,
the victim and the record it is about, its trigger, due and action dates, its status (met,
not_met or pending), whether the victim is owed enhanced rights, and the breakdown attributes.
The report's figures, drill-downs and audits all read from this one table.

Each ``_r*`` function below implements one row of the measure table, in the words of the contract.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from transforms.calendar import WorkingDayCalendar
from transforms.matching import (
    assess_at_once,
    assess_deadline,
    earliest_on_or_after,
    known_by,
    local_date,
)
from transforms.quarters import quarter_labels
from transforms.victims import BREAKDOWN_COLUMNS, victim_profiles

Tables = Mapping[tuple[str, str], pd.DataFrame]

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

    def dated(self, source: str, table: str, column: str) -> pd.DataFrame:
        """A table with ``<column>`` turned into local dates, rows dated after D left out."""
        frame = self.tables[(source, table)]
        dates = local_date(frame[column])
        return frame.assign(**{column: dates})[dates <= self.as_of]

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
            instances, deadline.standard, deadline.enhanced, self.as_of, self.calendar
        )


def _for_victims(frame: pd.DataFrame, profiles: pd.DataFrame) -> pd.DataFrame:
    """Attach the victim's profile; rows about victims not owed the Code drop out here."""
    return frame.merge(
        profiles.drop(columns=["crime_ref"]).reset_index(drop=True),
        on="victim_id",
        how="inner",
    )


def _victim_instances(ctx: MeasureContext) -> pd.DataFrame:
    """One instance per victim owed the Code, triggered by their crime's report date."""
    victims = ctx.profiles[ctx.profiles["reported_date"] <= ctx.as_of]
    return victims.reset_index(drop=True).assign(
        trigger_date=victims["reported_date"].to_numpy(),
        record_key=victims["crime_ref"].to_numpy(),
    )


def _r2_record(ctx: MeasureContext) -> pd.DataFrame:
    """R2-RECORD: each victim, trigger reported_at; met by the crime's recorded_at."""
    instances = _victim_instances(ctx)
    recorded = known_by(instances["recorded_date"], ctx.as_of)
    action = recorded.where(recorded >= instances["trigger_date"])
    return ctx.assess("R2-RECORD", instances.assign(action_date=action))


def _r3_ack(ctx: MeasureContext) -> pd.DataFrame:
    """R3-ACK: each victim; met by a written_acknowledgement contact."""
    instances = _victim_instances(ctx)
    contacts = ctx.action_dates("police", "victim_contacts", "contacted_at")
    acknowledgements = contacts[contacts["contact_type"] == "written_acknowledgement"]
    matched = earliest_on_or_after(instances, acknowledgements, ["victim_id"])
    return ctx.assess("R3-ACK", instances.assign(action_date=matched["action_date"]))


def _r4_vna(ctx: MeasureContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """R4-VNA: each victim; met by a needs assessment. Also R4-VNA-CONTENT: each victim whose
    assessment was matched (pending or not); met when it records all five required items."""
    instances = _victim_instances(ctx)
    assessments = ctx.action_dates("police", "needs_assessments", "completed_at")
    complete = assessments[list(VNA_ITEMS)].astype("boolean").fillna(False).all(axis=1)
    matched = earliest_on_or_after(
        instances, assessments.assign(complete=complete), ["victim_id"], carry=["complete"]
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
    instances = _victim_instances(ctx)
    instances = instances[instances["referral_consent"] != "declined"]
    referrals = ctx.action_dates("police", "referrals", "referred_at")
    matched = earliest_on_or_after(instances, referrals, ["victim_id"])
    return ctx.assess("R4-REFER", instances.assign(action_date=matched["action_date"]))


def _r6_update(ctx: MeasureContext) -> pd.DataFrame:
    """R6-UPDATE: each (victim, investigation event) for victims who have not opted out,
    trigger event_at; met by a contact whose contact_type is the event_type.
    Right 6: 5 working days, 1 for victims owed enhanced rights."""
    events = ctx.dated("police", "investigation_events", "event_at")
    victims = ctx.profiles[~ctx.profiles["updates_opt_out"]].reset_index(drop=True)
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
    matched = earliest_on_or_after(instances, contacts, ["victim_id", "event_type"])
    return ctx.assess("R6-UPDATE", instances.assign(action_date=matched["action_date"]))


def _r6_vcl(ctx: MeasureContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """R6-VCL: each CPS decision, trigger decided_at; met by a letter with the same urn, victim
    and decision type. Also R6-VRR: each no-charge or discontinuance whose letter was matched;
    met when that letter explains the Victims' Right to Review."""
    decisions = ctx.dated("cps", "decisions", "decided_at")
    instances = _for_victims(decisions, ctx.profiles)
    instances = instances.assign(trigger_date=instances["decided_at"], record_key=instances["urn"])
    letters = ctx.action_dates("cps", "vcl_letters", "sent_at")
    matched = earliest_on_or_after(
        instances, letters, ["urn", "victim_id", "decision_type"], carry=["vrr_information"]
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
    events = ctx.dated("police", "investigation_events", "event_at")
    charged = events[events["event_type"] == "suspect_charged"]
    first_charge = charged.groupby("crime_ref", as_index=False)["event_at"].min()
    instances = first_charge.merge(ctx.profiles.reset_index(drop=True), on="crime_ref")
    instances = instances.assign(
        trigger_date=instances["event_at"], record_key=instances["crime_ref"]
    )
    offers = ctx.action_dates("police", "vps_offers", "offered_at")
    first_offer = offers.groupby("victim_id", as_index=False)["action_date"].min()
    instances = instances.merge(first_offer, on="victim_id", how="left")
    return ctx.assess("R7-VPS", instances)


def _notified_rows(
    ctx: MeasureContext, table: str, key: str | None, measure_id: str
) -> pd.DataFrame:
    """R8-HEARING and R9-OUTCOME: each row, trigger received_at; met by its
    victim_notified_at."""
    rows = _for_victims(ctx.dated("cps", table, "received_at"), ctx.profiles)
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
    outcomes = ctx.dated("cps", "outcomes", "outcome_at")
    long_custody = (outcomes["sentence_type"] == "custody") & (outcomes["sentence_months"] >= 12)
    qualifying = (
        (outcomes["outcome_type"] == "sentence")
        & outcomes["vcs_specified_offence"].astype("boolean").fillna(False)
        & (long_custody | (outcomes["sentence_type"] == "hospital_order")).fillna(False)
    )
    instances = _for_victims(outcomes[qualifying.astype(bool)], ctx.profiles)
    instances = instances.assign(trigger_date=instances["outcome_at"], record_key=instances["urn"])
    referrals = ctx.action_dates("probation", "vcs_referrals", "referred_at")
    matched = earliest_on_or_after(instances, referrals, ["urn", "victim_id"])
    return ctx.assess("R11-REFER", instances.assign(action_date=matched["action_date"]))


def _r11_contact(ctx: MeasureContext) -> pd.DataFrame:
    """R11-CONTACT: each VCS referral, trigger referred_at; met by its first_contact_at."""
    rows = _for_victims(ctx.dated("probation", "vcs_referrals", "referred_at"), ctx.profiles)
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
    rows = _for_victims(ctx.dated("probation", "release_notifications", "release_at"), ctx.profiles)
    notified = known_by(local_date(rows["notified_at"]), ctx.as_of)
    instances = rows.assign(
        trigger_date=rows["release_at"], record_key=rows["urn"], action_date=notified
    )
    return assess_at_once(instances, notified < rows["release_at"])


def _r12_ack(ctx: MeasureContext) -> pd.DataFrame:
    """R12-ACK: each complaint, trigger received_at; met by its acknowledged_at. Reported once
    per source that supplies complaints, with the standard deadline and no victim breakdowns."""
    per_source = []
    deadline = ctx.deadlines["R12-ACK"]
    for source in ("police", "cps", "probation"):
        if (source, "complaints") not in ctx.tables:
            continue
        rows = ctx.dated(source, "complaints", "received_at")
        acknowledged = known_by(local_date(rows["acknowledged_at"]), ctx.as_of)
        instances = pd.DataFrame(
            {
                "agency": source,
                "record_key": rows["complaint_id"],
                "trigger_date": rows["received_at"],
                "action_date": acknowledged.where(acknowledged >= rows["received_at"]),
                "enhanced": False,  # complaints carry no victim: the standard deadline applies
            }
        )
        assert deadline.standard is not None
        per_source.append(
            assess_deadline(
                instances, deadline.standard, deadline.standard, ctx.as_of, ctx.calendar
            )
        )
    return pd.concat(per_source, ignore_index=True) if per_source else pd.DataFrame()


def _enh_identified(ctx: MeasureContext) -> pd.DataFrame:
    """ENH-IDENTIFIED: each victim owed enhanced rights; met when the police's enhanced_flag is
    true."""
    instances = _victim_instances(ctx)
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


def _standardise(instances: pd.DataFrame, measure_id: str, agency: str | None) -> pd.DataFrame:
    frame = instances.assign(measure_id=measure_id)
    if agency is not None:
        frame = frame.assign(agency=agency)
    for column in ("victim_id", *BREAKDOWN_COLUMNS):
        if column not in frame:
            frame[column] = pd.NA
    frame = frame.assign(quarter=quarter_labels(frame["trigger_date"]))
    return frame[INSTANCE_COLUMNS].reset_index(drop=True)


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
    profiles = victim_profiles(tables[("police", "victims")], tables[("police", "crimes")])
    ctx = MeasureContext(tables, profiles, pd.Timestamp(as_of), deadlines, calendar)
    parts = [
        _standardise(builder(ctx), measure_id, agency)
        for measure_id, (agency, builder) in _BUILDERS.items()
    ]
    vna, vna_content = _r4_vna(ctx)
    vcl, vrr = _r6_vcl(ctx)
    parts += [
        _standardise(vna, "R4-VNA", "police"),
        _standardise(vna_content, "R4-VNA-CONTENT", "police"),
        _standardise(vcl, "R6-VCL", "cps"),
        _standardise(vrr, "R6-VRR", "cps"),
    ]
    complaints = _r12_ack(ctx)
    if len(complaints):
        parts.append(_standardise(complaints, "R12-ACK", None))
    found = [part for part in parts if len(part)]
    if not found:
        return pd.DataFrame({column: pd.Series(dtype="object") for column in INSTANCE_COLUMNS})
    instances = pd.concat(found, ignore_index=True)
    if since is not None:
        instances = instances[instances["trigger_date"] >= pd.Timestamp(since)]
    return instances.reset_index(drop=True)
