"""[feedback.questions] (CONTRACT.md §7.3): the catalogue's standard questions, laid over by the
configuration, refused in one line when a question names no measure; `vcc measures` shows them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from vcc.flows.cli import main
from vcc.flows.config import load_config
from vcc.flows.errors import ConfigError
from vcc.transforms.catalogue import load_catalogue


def test_the_catalogue_carries_a_standard_question_for_the_rights_victims_are_asked_about() -> None:
    catalogue = load_catalogue("2021-04")
    asked = {q.measure_id: q.question_id for q in catalogue.questions}
    assert asked["R7-VPS"] == "q_offered_vps"
    assert asked["R6-UPDATE"] == "q_kept_informed"
    assert asked["R4-REFER"] == "q_referred_support"
    assert asked["R5-COMPENSATION"] == "q_told_compensation"
    assert asked["R9-OUTCOME"] == "q_told_outcome"
    assert catalogue.question_for("R2-RECORD") is None  # no victim is asked about recording


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "vcc.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_configuration_adds_remaps_and_unmaps_questions(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            '[feedback.questions]\nq_vps_local = "R7-VPS"\nq_kept_informed = "R6-VCL"\n'
            'q_told_outcome = ""\n',
        )
    )
    mapping = config.feedback_mapping(load_catalogue("2021-04"))
    assert mapping["q_vps_local"] == "R7-VPS"
    assert mapping["q_offered_vps"] == "R7-VPS"  # the default stays
    assert mapping["q_kept_informed"] == "R6-VCL"
    assert "q_told_outcome" not in mapping


def test_a_question_mapped_to_no_measure_is_refused_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"feedback\.questions\.q_x: 'R99-NOPE' is not a measure"):
        load_config(write(tmp_path, '[feedback.questions]\nq_x = "R99-NOPE"\n'))


def test_the_default_questions_leave_the_configuration_hash_as_it_was(tmp_path: Path) -> None:
    plain = load_config(write(tmp_path, "[report]\narea = 'X'\n"))
    # the hash as it was before [feedback] existed: of the same settings without it
    left_out = {"files", "mail", "warehouse", "schedule", "output_dir", "cluster", "comparison",
                "feedback"}  # fmt: skip
    before = plain.model_dump(mode="json", exclude=left_out)
    assert (
        plain.fingerprint()
        == hashlib.sha256(json.dumps(before, sort_keys=True).encode()).hexdigest()
    )
    mapped = load_config(
        write(tmp_path, "[report]\narea = 'X'\n[feedback.questions]\nq = 'R7-VPS'\n")
    )
    assert plain.fingerprint() != mapped.fingerprint()


def test_vcc_measures_shows_each_measures_question(tmp_path: Path) -> None:
    path = write(tmp_path, '[feedback.questions]\nq_vps_local = "R7-VPS"\n')
    result = CliRunner().invoke(main, ["measures", "--config", str(path)], terminal_width=200)
    assert result.exit_code == 0, result.output
    block = result.output.split("R7-VPS  Right 7", 1)[1].split("\n\n", 1)[0]
    # the first question that speaks to it: the catalogue's, before the configuration's
    assert 'survey question: q_offered_vps "Were you offered the chance to make a Victim' in (
        " ".join(block.split())
    )
    assert "survey question" not in result.output.split("R2-RECORD", 1)[1].split("\n\n", 1)[0]


def test_a_later_code_that_drops_a_measure_drops_its_question(tmp_path: Path) -> None:
    (tmp_path / "2030-01.toml").write_text(
        '[code]\nid = "2030-01"\nbased_on = "2021-04"\nin_force_from = 2030-01-01\n'
        '[[measures]]\nid = "R7-VPS"\ndrop = true\n',
        encoding="utf-8",
    )
    later = load_catalogue("2030-01", tmp_path)
    assert later.question_for("R7-VPS") is None
    assert len(later.questions) == len(load_catalogue("2021-04").questions) - 1
