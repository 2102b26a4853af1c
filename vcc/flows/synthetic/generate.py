"""Generate the three sources' canonical tables for a run of quarters."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from vcc.flows.errors import VccError
from vcc.flows.synthetic.canonical import cps_tables, police_tables, probation_tables
from vcc.flows.synthetic.complaints import generate_complaints
from vcc.flows.synthetic.court import generate_court
from vcc.flows.synthetic.crimes import generate_crimes, generate_victims
from vcc.flows.synthetic.defects import inject_defects
from vcc.flows.synthetic.feedback import generate_feedback
from vcc.flows.synthetic.investigation import generate_investigations
from vcc.flows.synthetic.police_actions import (
    generate_contacts,
    generate_needs_assessments,
    generate_referrals,
    generate_vps_offers,
)
from vcc.flows.synthetic.probation import generate_probation
from vcc.flows.synthetic.rights_data import RightsData, add_rights_data, generate_rights_data
from vcc.flows.synthetic.timeline import Window
from vcc.transforms.quarters import Quarter

Sources = dict[str, dict[str, pd.DataFrame]]
# Each stage draws from its own stream, so changing one stage leaves the others' data alone.
STAGES = (
    "crimes",
    "victims",
    "investigation",
    "police_actions",
    "court",
    "probation",
    "complaints",
    "defects",
)
# The optional data of CONTRACT.md §6.1 draws from streams spawned after these, so that adding it
# changed no table above.
RIGHTS_STAGES = ("rights", "rights_defects")
# The victims' survey (CONTRACT.md §7.3) draws from a stream spawned after all of these.
FEEDBACK_STAGES = ("feedback",)


def generate_sources(
    first_quarter: Quarter,
    last_quarter: Quarter,
    *,
    scale: float = 1.0,
    seed: int = 1,
    until: dt.date,
    compliance_shift: float = 0.0,
    feedback_responses: int | None = None,
) -> Sources:
    """Synthetic police, CPS and probation tables (source -> table -> canonical frame).

    About 9,000 crimes a quarter at ``scale`` 1, from a year before ``first_quarter`` (so court and
    probation stages are in full flow) to the end of ``last_quarter``. Nothing is dated after
    ``until``, the extract's as-of day, but the listed date of a future hearing.
    ``compliance_shift`` is added to every measure's on-time rate (an area better or worse than
    the profiles). ``feedback_responses``: the survey's size (default about one victim in ten,
    ``flows.synthetic.feedback``). The same arguments give identical frames.
    """
    try:
        window = Window(first_quarter, last_quarter, until, compliance_shift)
    except ValueError as error:
        raise VccError(str(error)) from None
    if window.last < window.first:
        raise VccError(f"quarter {window.last} is before {window.first}")
    if until < window.first.start:
        raise VccError(f"the as-of day {until} is before the first quarter {window.first}")
    if not scale > 0:
        raise VccError(f"scale must be positive, not {scale}")
    stages = (*STAGES, *RIGHTS_STAGES, *FEEDBACK_STAGES)
    streams = dict(zip(stages, np.random.SeedSequence(seed).spawn(len(stages)), strict=True))
    rng = {stage: np.random.default_rng(stream) for stage, stream in streams.items()}
    clean, rights = _clean_sources(rng, window, scale)
    sources = add_rights_data(rng["rights_defects"], inject_defects(rng["defects"], clean), rights)
    sources["feedback"] = generate_feedback(
        rng["feedback"], sources["police"], until, feedback_responses
    )
    return sources


def _clean_sources(
    rng: dict[str, np.random.Generator], window: Window, scale: float
) -> tuple[Sources, RightsData]:
    """The canonical tables before any fault is added, and the data of Rights 1, 5 and 10 (the
    working frames die with this call)."""
    crimes = generate_crimes(rng["crimes"], window, scale)
    victims = generate_victims(rng["victims"], window, crimes)
    events, charges = generate_investigations(rng["investigation"], window, crimes)
    actions = rng["police_actions"]
    police_actions = {
        "needs_assessments": generate_needs_assessments(actions, window, victims),
        "referrals": generate_referrals(actions, window, victims),
        "victim_contacts": generate_contacts(actions, window, victims, events),
        "vps_offers": generate_vps_offers(actions, window, victims, charges),
    }
    court = generate_court(rng["court"], window, crimes, victims, charges)
    probation = generate_probation(rng["probation"], window, court.outcomes)
    complaints = {
        source: generate_complaints(rng["complaints"], window, source, scale)
        for source in ("police", "cps", "probation")
    }
    rights = generate_rights_data(
        rng["rights"], window, victims, police_actions["needs_assessments"], court.hearings
    )
    return {
        "police": police_tables(crimes, victims, events, police_actions, complaints["police"]),
        "cps": cps_tables(court, complaints["cps"]),
        "probation": probation_tables(probation, complaints["probation"]),
    }, rights
