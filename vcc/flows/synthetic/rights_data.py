"""The optional data of CONTRACT.md §6.1 (Rights 1, 5 and 10): interpreters, compensation
information, property taken as evidence and witnesses' expenses claims.

Drawn from streams of their own and added to the sources after the §2 tables have their faults,
so that the §2 tables, and every figure of the measures read from them, are exactly what they
were before this data existed. Its own faults are added here, at the same small rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vcc.flows.synthetic import canonical as f
from vcc.flows.synthetic import defects
from vcc.flows.synthetic.compliance import Profile, draw_actions
from vcc.flows.synthetic.timeline import Window, after_days, office_hours, plus_hours
from vcc.transforms.schema import DEFAULT_DISTRICTS, OFFENCE_CATEGORIES

# Intended compliance (share within the default deadline, as in flows.synthetic.compliance).
R1_INTERPRET = Profile(0.70, 5, enhanced=0.08, trend=0.02, district=1.0, missing_share=0.5)
R5_COMPENSATION = Profile(0.62, 5, enhanced=0.10, trend=0.01, district=1.0, missing_share=0.7)
R10_PROPERTY = Profile(0.66, 10, trend=0.01, district=1.0, missing_share=0.3, late_mean=8.0)
# Worsening: claims pile up in the Witness Care Unit.
R10_EXPENSES = Profile(0.86, 10, trend=-0.015, missing_share=0.2, late_mean=5.0)

# Victims who need an interpreter: more where more people speak other first languages.
INTERPRETER_NEEDED = {
    "Allerdale": 0.03,
    "Barrow-in-Furness": 0.05,
    "Carlisle": 0.08,
    "Copeland": 0.02,
    "Eden": 0.03,
    "South Lakeland": 0.04,
}
INTERPRETER_NOT_RECORDED = 0.05  # assessments that leave the question blank
CONTACT_INTERPRETER_NOT_RECORDED = 0.10
COMPENSATION_CATEGORIES = (
    "homicide", "attempted_murder", "wounding_gbh_with_intent", "wounding_gbh",
    "assault_with_injury", "assault_without_injury", "stalking_harassment",
    "kidnap_false_imprisonment", "rape", "other_sexual_offence", "robbery",
    "burglary_residential", "burglary_business", "criminal_damage", "arson_endangering_life",
    "arson",
)  # fmt: skip
# Crimes whose victims' property is often taken as evidence, and the share of their victims.
PROPERTY_SHARE = {
    "burglary_residential": 0.35,
    "burglary_business": 0.35,
    "robbery": 0.30,
    "theft": 0.15,
    "vehicle_offence": 0.25,
    "criminal_damage": 0.10,
    "assault_with_injury": 0.08,
    "rape": 0.50,
    "other_sexual_offence": 0.30,
}
STILL_HELD = 0.25  # items not yet released when the extract is taken (trial pending)
EXPENSES_CLAIMED = 0.30  # of victims at a hearing
NEVER_COMPLETED = 0.12  # claim forms never correctly completed
ITEM_ID, CLAIM_ID = ("IT", 7), ("EC", 7)


@dataclass(frozen=True)
class RightsData:
    """What the working frames give for Rights 1, 5 and 10, before it meets the tables."""

    interpreter_needed: pd.Series  # per victim_no: True, False or missing
    contacts: pd.DataFrame  # victim_no, contact_type, contacted_at, method, interpreter_used
    property: pd.DataFrame
    expense_claims: pd.DataFrame


def generate_rights_data(
    rng: np.random.Generator,
    window: Window,
    victims: pd.DataFrame,
    assessments: pd.DataFrame,
    hearings: pd.DataFrame,
) -> RightsData:
    needed = _interpreter_needed(rng, victims)
    return RightsData(
        interpreter_needed=needed,
        contacts=pd.concat(
            [
                _interpreted_contacts(rng, window, victims, assessments, needed),
                _compensation_contacts(rng, window, victims),
            ],
            ignore_index=True,
        ),
        property=_property(rng, window, victims),
        expense_claims=_expense_claims(rng, window, victims, hearings),
    )


def _interpreter_needed(rng: np.random.Generator, victims: pd.DataFrame) -> pd.Series:
    share = np.array([INTERPRETER_NEEDED[name] for name in DEFAULT_DISTRICTS])
    chance = share[victims["district"].to_numpy()]
    needed = pd.array(rng.random(len(victims)) < chance, dtype="boolean")
    needed[rng.random(len(victims)) < INTERPRETER_NOT_RECORDED] = pd.NA
    return pd.Series(needed, index=victims["victim_no"].to_numpy())


def _interpreted_contacts(rng, window, victims, assessments, needed) -> pd.DataFrame:
    """Right 1: a contact with an interpreter after the (first) assessment recording the need."""
    first = assessments.groupby("victim_no", as_index=False)["completed_at"].min()
    first = first[needed.reindex(first["victim_no"]).fillna(False).to_numpy(dtype=bool)]
    profile = victims.set_index("victim_no").loc[first["victim_no"]]
    at = draw_actions(
        rng,
        R1_INTERPRET,
        window,
        first["completed_at"].to_numpy(),
        enhanced=profile["owed_enhanced"].to_numpy(),
        district=profile["district"].to_numpy(),
    )
    done = ~np.isnat(at)
    return _contact_rows(first["victim_no"].to_numpy()[done], "general_update", at[done], True)


def _compensation_contacts(rng, window, victims) -> pd.DataFrame:
    """Right 5: information about compensation for victims of crimes causing injury or loss."""
    codes = [OFFENCE_CATEGORIES.index(name) for name in COMPENSATION_CATEGORIES]
    owed = victims[victims["category"].isin(codes)]
    at = draw_actions(
        rng,
        R5_COMPENSATION,
        window,
        owed["reported_at"].to_numpy(),
        enhanced=owed["owed_enhanced"].to_numpy(),
        district=owed["district"].to_numpy(),
    )
    done = ~np.isnat(at)
    return _contact_rows(owed["victim_no"].to_numpy()[done], "compensation_information", at[done])


def _contact_rows(victim_no, contact_type, at, interpreter_used: bool = False) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "victim_no": victim_no,
            "contact_type": contact_type,
            "contacted_at": at,
            "method": "phone",
            "interpreter_used": interpreter_used,
        }
    )


def _property(rng: np.random.Generator, window: Window, victims: pd.DataFrame) -> pd.DataFrame:
    """Right 10: items taken as evidence, released when no longer needed, then returned."""
    shares = np.array([PROPERTY_SHARE.get(name, 0.0) for name in OFFENCE_CATEGORIES])
    owners = victims[rng.random(len(victims)) < shares[victims["category"].to_numpy()]]
    owners = owners.loc[np.repeat(owners.index, rng.integers(1, 4, len(owners)))]
    seized = window.drop_after_cutoff(plus_hours(rng, owners["reported_at"].to_numpy(), 1, 96))
    released = after_days(rng, seized, 45.0, 10.0)
    released = window.drop_after_cutoff(office_hours(rng, released))
    released[rng.random(len(released)) < STILL_HELD] = np.datetime64("NaT")
    returned = _actions_after(
        rng, R10_PROPERTY, window, released, district=owners["district"].to_numpy()
    )
    frame = pd.DataFrame(
        {
            "victim_no": owners["victim_no"].to_numpy(),
            "crime_no": owners["crime_no"].to_numpy(),
            "seized_at": seized,
            "released_at": released,
            "returned_at": returned,
        }
    )
    frame = frame[~np.isnat(seized)].sort_values("seized_at", kind="stable", ignore_index=True)
    return frame.assign(item_no=np.arange(1, len(frame) + 1))


def _expense_claims(rng, window, victims, hearings) -> pd.DataFrame:
    """Right 10: witnesses' expenses claims after a hearing, paid once correctly completed."""
    witnesses = hearings.drop_duplicates(["urn_no", "victim_no"])
    claims = witnesses[rng.random(len(witnesses)) < EXPENSES_CLAIMED]
    received = window.drop_after_cutoff(after_days(rng, claims["hearing_at"].to_numpy(), 4.0))
    completed = window.drop_after_cutoff(after_days(rng, received, 3.0))
    completed[rng.random(len(completed)) < NEVER_COMPLETED] = np.datetime64("NaT")
    paid = _actions_after(rng, R10_EXPENSES, window, completed)
    frame = pd.DataFrame(
        {
            "urn_no": claims["urn_no"].to_numpy(),
            "victim_no": claims["victim_no"].to_numpy(),
            "received_at": received,
            "completed_at": completed,
            "paid_at": paid,
        }
    )
    frame = frame[~np.isnat(received)].sort_values("received_at", kind="stable", ignore_index=True)
    return frame.assign(claim_no=np.arange(1, len(frame) + 1))


def _actions_after(
    rng: np.random.Generator,
    profile: Profile,
    window: Window,
    trigger: np.ndarray,
    district: np.ndarray | None = None,
) -> np.ndarray:
    """``draw_actions`` for the triggers that happened; none for the rest."""
    happened = ~np.isnat(trigger)
    actions = np.full(len(trigger), np.datetime64("NaT"), dtype="datetime64[s]")
    actions[happened] = draw_actions(
        rng,
        profile,
        window,
        trigger[happened],
        district=None if district is None else district[happened],
    )
    return actions


def add_rights_data(
    rng: np.random.Generator, sources: dict[str, dict[str, pd.DataFrame]], data: RightsData
) -> dict[str, dict[str, pd.DataFrame]]:
    """The sources with the §6.1 columns and tables added, some of their rows faulty."""
    police, cps = dict(sources["police"]), dict(sources["cps"])
    victim_no = police["needs_assessments"]["victim_id"].str[1:].astype("Int64")
    needed = data.interpreter_needed.reindex(victim_no.to_numpy()).to_numpy()
    police["needs_assessments"] = police["needs_assessments"].assign(
        interpreter_needed=pd.array(needed, dtype="boolean")
    )
    contacts = police["victim_contacts"]
    used = pd.array(np.zeros(len(contacts), dtype=bool), dtype="boolean")
    used[rng.random(len(contacts)) < CONTACT_INTERPRETER_NOT_RECORDED] = pd.NA
    added = f.canonical(
        "police",
        "victim_contacts",
        {**data.contacts, "victim_id": f.ids(data.contacts["victim_no"], f.VICTIM_ID)},
    )
    police["victim_contacts"] = pd.concat(
        [contacts.assign(interpreter_used=used), _faulty(rng, added, "victim_id", f.VICTIM_ID)],
        ignore_index=True,
    )
    items = data.property
    police["property"] = _keyed_faults(
        rng,
        f.canonical(
            "police",
            "property",
            {
                **items,
                "item_id": f.ids(items["item_no"], ITEM_ID),
                "crime_ref": f.ids(items["crime_no"], f.CRIME_REF),
                "victim_id": f.ids(items["victim_no"], f.VICTIM_ID),
            },
        ),
        "item_id",
    )
    claims = data.expense_claims
    claim_rows = f.canonical(
        "cps",
        "expense_claims",
        {
            **claims,
            "claim_id": f.ids(claims["claim_no"], CLAIM_ID),
            "urn": f.ids(claims["urn_no"], f.URN),
            "victim_id": f.ids(claims["victim_no"], f.VICTIM_ID),
        },
    )
    defects._unlink(rng, claim_rows, "urn", f.URN)
    cps["expense_claims"] = _keyed_faults(rng, claim_rows, "claim_id")
    return {**sources, "police": police, "cps": cps}


def _faulty(rng, frame: pd.DataFrame, column: str, form: tuple[str, int]) -> pd.DataFrame:
    """Some rows naming a victim no source knows (linkage failures)."""
    damaged = frame.copy()
    defects._unlink(rng, damaged, column, form)
    return damaged


def _keyed_faults(rng, frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Unknown victims, reused keys and doubled rows, as the §2 tables have."""
    damaged = _faulty(rng, frame, "victim_id", f.VICTIM_ID)
    damaged = defects._reused_keys(rng, damaged, key)
    return defects._duplicated(rng, damaged).astype(frame.dtypes)
