"""The measures no building block fits, each a function named by its catalogue entry
(``function = "..."``), in the words of CONTRACT.md §3 and §6.2.

A function takes the context and the measure's definition and returns its instances (lean
columns, ``transforms/measure_context.py``); ``complaints_acknowledged`` returns them per source.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from vcc.transforms.catalogue import MeasureDefinition
from vcc.transforms.matching import (
    assess_at_once,
    assess_deadline,
    earliest_on_or_after,
    known_by,
    local_date,
)
from vcc.transforms.measure_context import VICTIM, MeasureContext, for_victims, victim_instances

MeasureFunction = Callable[[MeasureContext, MeasureDefinition], "pd.DataFrame | dict"]


def crime_recorded(ctx: MeasureContext, measure: MeasureDefinition) -> pd.DataFrame:
    """R2-RECORD: each victim, trigger reported_at; met by the crime's recorded_at."""
    instances = victim_instances(ctx, "recorded_date")
    recorded = known_by(instances["recorded_date"], ctx.as_of)
    action = recorded.where(recorded >= instances["trigger_date"])
    return ctx.assess(measure, instances.assign(action_date=action))


def investigation_updates(ctx: MeasureContext, measure: MeasureDefinition) -> pd.DataFrame:
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
    return ctx.assess(measure, instances.assign(action_date=matched["action_date"]))


def personal_statement_offered(ctx: MeasureContext, measure: MeasureDefinition) -> pd.DataFrame:
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
    # at any date, but never before the crime was reported (a placeholder date is no offer)
    offers = offers[offers["action_date"].to_numpy() >= ctx.reported_dates(offers[VICTIM])]
    first_offer = offers.groupby(VICTIM, as_index=False)["action_date"].min()
    instances = instances.merge(first_offer, on=VICTIM, how="left")
    return ctx.assess(measure, instances)


def contact_scheme_referrals(ctx: MeasureContext, measure: MeasureDefinition) -> pd.DataFrame:
    """R11-REFER: each sentence for a VCS specified offence of custody of 12 months or more, or
    a hospital order, trigger outcome_at; met by a VCS referral with the same urn and victim."""
    outcomes = ctx.triggers("cps", "outcomes", "outcome_at")
    long_custody = (outcomes["sentence_type"] == "custody") & (outcomes["sentence_months"] >= 12)
    qualifying = (
        (outcomes["outcome_type"] == "sentence")
        & outcomes["vcs_specified_offence"].astype("boolean").fillna(False)
        & (long_custody | (outcomes["sentence_type"] == "hospital_order")).fillna(False)
    )
    instances = for_victims(outcomes[qualifying.astype(bool)], ctx)
    instances = instances.assign(trigger_date=instances["outcome_at"], record_key=instances["urn"])
    referrals = ctx.action_dates("probation", "vcs_referrals", "referred_at")
    matched = earliest_on_or_after(instances, referrals, ["urn", VICTIM])
    return ctx.assess(measure, instances.assign(action_date=matched["action_date"]))


def told_before_release(ctx: MeasureContext, measure: MeasureDefinition) -> pd.DataFrame:
    """R11-RELEASE: each release on or before D; met only if the victim was notified on a date
    before the release date. Never pending: the releases are already final."""
    rows = for_victims(ctx.triggers("probation", "release_notifications", "release_at"), ctx)
    notified = known_by(local_date(rows["notified_at"]), ctx.as_of)
    instances = ctx.not_before_report(
        rows.assign(trigger_date=rows["release_at"], record_key=rows["urn"], action_date=notified)
    )
    return assess_at_once(instances, instances["action_date"] < rows["release_at"])


def complaints_acknowledged(
    ctx: MeasureContext, measure: MeasureDefinition
) -> dict[str, pd.DataFrame]:
    """R12-ACK: each complaint, trigger received_at; met by its acknowledged_at. Reported once
    per source that supplies complaints (source -> instances), with the standard deadline and no
    victim breakdowns."""
    per_source = {}
    deadline = ctx.deadline(measure)
    assert deadline.standard is not None, "R12-ACK needs a standard deadline"
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
        per_source[source] = assess_deadline(
            instances, deadline.standard, deadline.standard, ctx.as_of, ctx.calendar
        )
    return per_source


def interpreter_at_contacts(ctx: MeasureContext, measure: MeasureDefinition) -> pd.DataFrame:
    """R1-INTERPRET: each victim whose R4-VNA matched assessment (the earliest on or after the
    crime's report date, known by D) records interpreter_needed, trigger that assessment's
    completed_at; met by the earliest contact on or after it with interpreter_used true.

    Every victim reported by D is matched, not only those reported in the window: an assessment
    in the window may follow a report made before it."""
    victims = ctx.victims
    reported = victims.loc[victims["reported_date"] <= ctx.as_of, [VICTIM, "crime_ref"]]
    instances = reported.reset_index(drop=True).assign(
        trigger_date=victims.loc[reported.index, "reported_date"].to_numpy(),
        enhanced=victims.loc[reported.index, "enhanced"].to_numpy(),
    )
    assessments = ctx.action_dates("police", "needs_assessments", "completed_at")
    matched = earliest_on_or_after(instances, assessments, [VICTIM], carry=["interpreter_needed"])
    needed = matched["interpreter_needed"].astype("boolean").fillna(False).astype(bool)
    instances = instances.assign(trigger_date=matched["action_date"])[needed]
    instances = instances[ctx.in_window(instances["trigger_date"])]
    instances = instances.rename(columns={"crime_ref": "record_key"})
    contacts = ctx.action_dates("police", "victim_contacts", "contacted_at")
    used_at = contacts.get("interpreter_used", pd.Series(pd.NA, index=contacts.index))
    contacts = contacts[used_at.astype("boolean").fillna(False).astype(bool)]
    used = earliest_on_or_after(instances, contacts, [VICTIM])
    return ctx.assess(measure, instances.assign(action_date=used["action_date"]))


FUNCTIONS: dict[str, MeasureFunction] = {
    "crime_recorded": crime_recorded,
    "investigation_updates": investigation_updates,
    "personal_statement_offered": personal_statement_offered,
    "contact_scheme_referrals": contact_scheme_referrals,
    "told_before_release": told_before_release,
    "complaints_acknowledged": complaints_acknowledged,
    "interpreter_at_contacts": interpreter_at_contacts,
}
