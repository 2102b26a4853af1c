"""The canonical source tables of CONTRACT.md §2, declared once.

Extraction coerces to these types, the generator writes them, the expectation suites check them
and the measures read them. A column is ``(name, kind, nullable)``; ``kind`` is one of ``str``,
``datetime``, ``bool``, ``int`` and ``float``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SOURCES = ("police", "cps", "probation", "feedback")  # feedback (CONTRACT.md §7.3) is optional

OFFENCE_CATEGORIES = (
    "homicide",
    "attempted_murder",
    "wounding_gbh_with_intent",
    "wounding_gbh",
    "assault_with_injury",
    "assault_without_injury",
    "stalking_harassment",
    "kidnap_false_imprisonment",
    "rape",
    "other_sexual_offence",
    "robbery",
    "burglary_residential",
    "burglary_business",
    "vehicle_offence",
    "theft",
    "shoplifting",
    "criminal_damage",
    "arson_endangering_life",
    "arson",
    "public_order",
    "trafficking_modern_slavery",
    "terrorism",
    "fraud",
    "other",
)

# Offence categories whose victims are owed enhanced rights (CONTRACT.md §2, "Enhanced rights").
ENHANCED_OFFENCE_CATEGORIES = frozenset(
    {
        "homicide",
        "attempted_murder",
        "wounding_gbh_with_intent",
        "stalking_harassment",
        "kidnap_false_imprisonment",
        "rape",
        "other_sexual_offence",
        "arson_endangering_life",
        "trafficking_modern_slavery",
        "terrorism",
    }
)

# CONTRACT.md §6.3: the offence groups figures are broken down by, each with its categories.
OFFENCE_GROUPS: dict[str, tuple[str, ...]] = {
    "violence_with_injury": (
        "homicide",
        "attempted_murder",
        "wounding_gbh_with_intent",
        "wounding_gbh",
        "assault_with_injury",
    ),
    "violence_without_injury": (
        "assault_without_injury",
        "stalking_harassment",
        "kidnap_false_imprisonment",
    ),
    "sexual_offences": ("rape", "other_sexual_offence"),
    "robbery": ("robbery",),
    "burglary": ("burglary_residential", "burglary_business"),
    "theft": ("vehicle_offence", "theft", "shoplifting"),
    "criminal_damage_arson": ("criminal_damage", "arson_endangering_life", "arson"),
    "public_order": ("public_order",),
    "fraud": ("fraud",),
    "other": ("trafficking_modern_slavery", "terrorism", "other"),
}
OFFENCE_GROUP_OF = {
    category: group for group, members in OFFENCE_GROUPS.items() for category in members
}

EVENT_TYPES = (
    "suspect_arrested",
    "suspect_interviewed",
    "suspect_bailed",
    "suspect_released_under_investigation",
    "bail_conditions_changed",
    "no_further_action",
    "suspect_charged",
    "out_of_court_disposal",
    "not_investigated",
)
CONTACT_TYPES = (
    *EVENT_TYPES,
    "written_acknowledgement",
    "general_update",
    "compensation_information",  # CONTRACT.md §6.1: Right 5
)
VICTIM_TYPES = ("person", "business_named_contact", "business")
VICTIMS_OWED_THE_CODE = ("person", "business_named_contact")
REFERRAL_CONSENT = ("given", "declined", "not_recorded")
SEXES = ("female", "male", "other")
ETHNICITIES = ("white", "mixed", "asian", "black", "other")
DECISION_TYPES = ("no_charge", "discontinued", "charge_altered")
OUTCOME_TYPES = ("verdict", "sentence")
SENTENCE_TYPES = ("custody", "suspended", "community", "fine", "discharge", "hospital_order")
FEEDBACK_ANSWERS = ("yes", "no", "dont_know", "not_applicable")
RESPONSE_AGE_BANDS = ("0-17", "18-24", "25-64", "65+")
DEFAULT_DISTRICTS = (
    "Allerdale",
    "Barrow-in-Furness",
    "Carlisle",
    "Copeland",
    "Eden",
    "South Lakeland",
)


# The longest identifier (crime_ref, urn, victim_id, any *_id) a row may carry: agencies' references
# are a few dozen characters at most, so a longer one is damage (a shifted free-text field, junk);
# the warehouse's identifier columns are this wide (flows/warehouse/tables.py).
IDENTIFIER_MAX_LENGTH = 64


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # str | datetime | bool | int | float
    nullable: bool = False
    allowed: tuple[str, ...] | None = None
    # A column a source may leave out (CONTRACT.md §6.1): read as empty when it is absent.
    optional: bool = False

    @property
    def is_identifier(self) -> bool:
        """A key or a reference to one, at most ``IDENTIFIER_MAX_LENGTH`` characters."""
        return self.kind == "str" and (
            self.name in ("crime_ref", "urn") or self.name.endswith("_id")
        )


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: str | None = None  # a column whose values must be unique
    optional: bool = False  # a source may leave it out (complaints and the §6.1 tables)
    # Pairs (earlier, later): the later date may not come before the earlier one.
    date_order: tuple[tuple[str, str], ...] = field(default=())
    # Columns unique together (a table without ``key``): later copies are quarantined, as a
    # duplicate key's are. Empty: no whole row may repeat an earlier one.
    unique_together: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


def _c(
    name: str, kind: str = "str", nullable: bool = False, allowed=None, optional: bool = False
) -> Column:
    return Column(name, kind, nullable, tuple(allowed) if allowed is not None else None, optional)


_COMPLAINTS = Table(
    "complaints",
    (
        _c("complaint_id"),
        _c("received_at", "datetime"),
        _c("acknowledged_at", "datetime", nullable=True),
        _c("responded_at", "datetime", nullable=True),
    ),
    key="complaint_id",
    optional=True,
    date_order=(("received_at", "acknowledged_at"), ("received_at", "responded_at")),
)

CANONICAL: dict[str, dict[str, Table]] = {
    "police": {
        t.name: t
        for t in (
            Table(
                "crimes",
                (
                    _c("crime_ref"),
                    _c("reported_at", "datetime"),
                    _c("recorded_at", "datetime"),
                    _c("offence_category", allowed=OFFENCE_CATEGORIES),
                    _c("is_domestic_abuse", "bool"),
                    _c("is_hate_crime", "bool"),
                    _c("district"),
                ),
                key="crime_ref",
                date_order=(("reported_at", "recorded_at"),),
            ),
            Table(
                "victims",
                (
                    _c("victim_id"),
                    _c("crime_ref"),
                    _c("victim_type", allowed=VICTIM_TYPES),
                    _c("age_at_offence", "int", nullable=True),
                    _c("sex", nullable=True, allowed=SEXES),
                    _c("ethnicity", nullable=True, allowed=ETHNICITIES),
                    _c("has_disability", "bool", nullable=True),
                    _c("is_vulnerable", "bool"),
                    _c("is_intimidated", "bool"),
                    _c("is_persistently_targeted", "bool"),
                    _c("is_bereaved_family", "bool"),
                    _c("enhanced_flag", "bool"),
                    _c("updates_opt_out", "bool"),
                    _c("referral_consent", allowed=REFERRAL_CONSENT),
                ),
                key="victim_id",
            ),
            Table(
                "needs_assessments",
                (
                    _c("victim_id"),
                    _c("completed_at", "datetime"),
                    _c("communication_needs_recorded", "bool"),
                    _c("vulnerability_recorded", "bool"),
                    _c("support_needs_recorded", "bool"),
                    _c("contact_preference_recorded", "bool"),
                    _c("special_measures_considered", "bool"),
                    _c("interpreter_needed", "bool", nullable=True, optional=True),
                ),
            ),
            Table(
                "referrals",
                (_c("victim_id"), _c("referred_at", "datetime"), _c("service", nullable=True)),
            ),
            Table(
                "investigation_events",
                (
                    _c("crime_ref"),
                    _c("event_type", allowed=EVENT_TYPES),
                    _c("event_at", "datetime"),
                ),
            ),
            Table(
                "victim_contacts",
                (
                    _c("victim_id"),
                    _c("contact_type", allowed=CONTACT_TYPES),
                    _c("contacted_at", "datetime"),
                    _c("method", nullable=True),
                    _c("interpreter_used", "bool", nullable=True, optional=True),
                ),
            ),
            Table(
                "vps_offers",
                (
                    _c("victim_id"),
                    _c("offered_at", "datetime"),
                    _c("vps_made", "bool", nullable=True),
                ),
            ),
            Table(
                "property",  # CONTRACT.md §6.1: Right 10, property returned
                (
                    _c("item_id"),
                    _c("crime_ref"),
                    _c("victim_id"),
                    _c("seized_at", "datetime"),
                    _c("released_at", "datetime", nullable=True),
                    _c("returned_at", "datetime", nullable=True),
                ),
                key="item_id",
                optional=True,
            ),
            _COMPLAINTS,
        )
    },
    "cps": {
        t.name: t
        for t in (
            Table("cases", (_c("urn"), _c("crime_ref")), key="urn"),
            Table(
                "decisions",
                (
                    _c("urn"),
                    _c("victim_id"),
                    _c("decision_type", allowed=DECISION_TYPES),
                    _c("decided_at", "datetime"),
                ),
            ),
            Table(
                "vcl_letters",
                (
                    _c("urn"),
                    _c("victim_id"),
                    _c("decision_type", allowed=DECISION_TYPES),
                    _c("sent_at", "datetime"),
                    _c("vrr_information", "bool"),
                ),
            ),
            Table(
                "hearings",
                (
                    _c("hearing_id"),
                    _c("urn"),
                    _c("victim_id"),
                    _c("hearing_at", "datetime"),
                    _c("received_at", "datetime"),
                    _c("victim_notified_at", "datetime", nullable=True),
                ),
                key="hearing_id",
                date_order=(("received_at", "victim_notified_at"),),
            ),
            Table(
                "outcomes",
                (
                    _c("urn"),
                    _c("victim_id"),
                    _c("outcome_type", allowed=OUTCOME_TYPES),
                    _c("outcome_at", "datetime"),
                    _c("received_at", "datetime"),
                    _c("victim_notified_at", "datetime", nullable=True),
                    _c("sentence_type", nullable=True, allowed=SENTENCE_TYPES),
                    _c("sentence_months", "float", nullable=True),
                    _c("vcs_specified_offence", "bool"),
                ),
                date_order=(("received_at", "victim_notified_at"),),
            ),
            Table(
                "expense_claims",  # CONTRACT.md §6.1: Right 10, witnesses' expenses
                (
                    _c("claim_id"),
                    _c("urn"),
                    _c("victim_id"),
                    _c("received_at", "datetime"),
                    _c("completed_at", "datetime", nullable=True),
                    _c("paid_at", "datetime", nullable=True),
                ),
                key="claim_id",
                optional=True,
            ),
            _COMPLAINTS,
        )
    },
    "probation": {
        t.name: t
        for t in (
            Table(
                "vcs_referrals",
                (
                    _c("referral_id"),
                    _c("urn"),
                    _c("victim_id"),
                    _c("referred_at", "datetime"),
                    _c("first_contact_at", "datetime", nullable=True),
                    _c("opted_in", "bool", nullable=True),
                ),
                key="referral_id",
                date_order=(("referred_at", "first_contact_at"),),
            ),
            Table(
                "release_notifications",
                (
                    _c("urn"),
                    _c("victim_id"),
                    _c("release_at", "datetime"),
                    _c("notified_at", "datetime", nullable=True),
                ),
            ),
            _COMPLAINTS,
        )
    },
}

# CONTRACT.md §7.3: the optional fourth source, a survey of victims (Victims and Prisoners Act
# 2024 s.7); a blank crime_ref is an anonymous response, its attributes what the respondent said.
_RESPONSE_ATTRIBUTES = (
    ("offence_group", tuple(OFFENCE_GROUPS)), ("age_band", RESPONSE_AGE_BANDS), ("sex", SEXES),
    ("ethnicity", ETHNICITIES),
)  # fmt: skip
CANONICAL["feedback"] = {
    "responses": Table(
        "responses",
        (
            _c("response_id"),
            _c("responded_at", "datetime"),
            _c("crime_ref", nullable=True),
            *(_c(name, nullable=True, allowed=codes) for name, codes in _RESPONSE_ATTRIBUTES),
            _c("has_disability", "bool", nullable=True),
        ),  # fmt: skip
        key="response_id",
    ),
    "answers": Table(
        "answers",
        (_c("response_id"), _c("question_id"), _c("answer", allowed=FEEDBACK_ANSWERS)),
        unique_together=("response_id", "question_id"),
    ),
}

# The date column that places a row in time: rows whose trigger date is after the as-of date are
# ignored by every measure (CONTRACT.md §1), and extraction may push this filter to the database.
ROW_DATE: dict[str, str] = {
    "crimes": "reported_at",
    "needs_assessments": "completed_at",
    "referrals": "referred_at",
    "investigation_events": "event_at",
    "victim_contacts": "contacted_at",
    "vps_offers": "offered_at",
    "complaints": "received_at",
    "decisions": "decided_at",
    "vcl_letters": "sent_at",
    "hearings": "received_at",
    "outcomes": "received_at",
    "vcs_referrals": "referred_at",
    "release_notifications": "release_at",
    "property": "seized_at",
    "expense_claims": "received_at",
    "responses": "responded_at",
}

# Cross-table links (CONTRACT.md §2, "Linkage"): (source, table, column) -> (source, table, column).
LINKS: tuple[tuple[tuple[str, str, str], tuple[str, str, str]], ...] = (
    (("police", "victims", "crime_ref"), ("police", "crimes", "crime_ref")),
    (("police", "needs_assessments", "victim_id"), ("police", "victims", "victim_id")),
    (("police", "referrals", "victim_id"), ("police", "victims", "victim_id")),
    (("police", "investigation_events", "crime_ref"), ("police", "crimes", "crime_ref")),
    (("police", "victim_contacts", "victim_id"), ("police", "victims", "victim_id")),
    (("police", "vps_offers", "victim_id"), ("police", "victims", "victim_id")),
    (("cps", "cases", "crime_ref"), ("police", "crimes", "crime_ref")),
    (("cps", "decisions", "urn"), ("cps", "cases", "urn")),
    (("cps", "decisions", "victim_id"), ("police", "victims", "victim_id")),
    (("cps", "vcl_letters", "urn"), ("cps", "cases", "urn")),
    (("cps", "vcl_letters", "victim_id"), ("police", "victims", "victim_id")),
    (("cps", "hearings", "urn"), ("cps", "cases", "urn")),
    (("cps", "hearings", "victim_id"), ("police", "victims", "victim_id")),
    (("cps", "outcomes", "urn"), ("cps", "cases", "urn")),
    (("cps", "outcomes", "victim_id"), ("police", "victims", "victim_id")),
    (("police", "property", "crime_ref"), ("police", "crimes", "crime_ref")),
    (("police", "property", "victim_id"), ("police", "victims", "victim_id")),
    (("cps", "expense_claims", "urn"), ("cps", "cases", "urn")),
    (("cps", "expense_claims", "victim_id"), ("police", "victims", "victim_id")),
    (("probation", "vcs_referrals", "urn"), ("cps", "cases", "urn")),
    (("probation", "vcs_referrals", "victim_id"), ("police", "victims", "victim_id")),
    (("probation", "release_notifications", "urn"), ("cps", "cases", "urn")),
    (("probation", "release_notifications", "victim_id"), ("police", "victims", "victim_id")),
    (("feedback", "answers", "response_id"), ("feedback", "responses", "response_id")),
)
