"""The synthetic agencies are judged against the catalogue's deadlines (issue 23): a profile
names a measure of the catalogue, and takes its default deadlines from it."""

from __future__ import annotations

import pytest

from vcc.flows.synthetic.compliance import PROFILES, _profile
from vcc.transforms.catalogue import MEASURES_BY_ID


def test_every_profile_takes_its_measures_deadlines_from_the_catalogue() -> None:
    for key, profile in PROFILES.items():
        # R12-ACK-cps: the CPS's complaints under R12-ACK
        definition = MEASURES_BY_ID.get(key) or MEASURES_BY_ID[key.rpartition("-")[0]]
        enhanced = profile.deadline_enhanced or profile.deadline
        assert (profile.deadline, enhanced) == (
            definition.deadline_standard, definition.deadline_enhanced,
        ), key  # fmt: skip
    # Right 6: 5 working days, 1 for victims owed enhanced rights (CONTRACT.md §3)
    assert (PROFILES["R6-UPDATE"].deadline, PROFILES["R6-UPDATE"].deadline_enhanced) == (5, 1)
    assert PROFILES["R12-ACK-cps"].deadline == 10


def test_a_profile_of_a_measure_the_catalogue_does_not_hold_is_refused() -> None:
    with pytest.raises(ValueError, match="R99-GONE: no measure with a deadline"):
        _profile("R99-GONE", 0.9)
    with pytest.raises(ValueError, match="ENH-IDENTIFIED"):  # met or not at once: no deadline
        _profile("ENH-IDENTIFIED", 0.66)
