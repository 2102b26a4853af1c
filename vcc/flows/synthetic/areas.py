"""Many synthetic areas (``vcc generate --areas N``): fictitious forces of realistic, different
sizes and compliance, each written as the demo's sources are, and the ``vcc.toml`` that runs
them all (CONTRACT.md §6.5).

Sizes are heavy-tailed, as the forces of England and Wales are (the largest about ten times the
middle one): log-normal with σ = 0.9, scaled so that their mean is the ``scale`` asked for. Each
area's compliance is the demo's profiles shifted by its own amount, drawn from N(0, 0.05) and
kept within ±0.15, so that a few large areas sit outside the funnel limits and most do not.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vcc.flows.config import DEFAULT_CONFIG, load_config
from vcc.flows.synthetic import generate_sources, write_demo_sources
from vcc.transforms.quarters import Quarter
from vcc.transforms.schema import DEFAULT_DISTRICTS

SIZE_SIGMA = 0.9
SMALLEST_SCALE = 0.02  # below this an area has too few victims to measure anything
COMPLIANCE_SIGMA = 0.05
COMPLIANCE_LIMIT = 0.15
# Fictitious places: no real force is named.
_STEMS = ("North", "South", "East", "West", "High", "Low", "Mid", "Fair", "Green", "Stone",
          "Ash", "Oak", "Elm", "Brook", "Marsh", "Red")  # fmt: skip
_ENDINGS = ("moor", "vale", "field", "shire", "dale", "wick", "ford", "mere")


@dataclass(frozen=True)
class AreaPlan:
    """One synthetic area: its name (its folder and ``[areas.<name>]``), title, volume multiplier
    (1 is Cumbria), compliance shift and seed."""

    name: str
    title: str
    scale: float
    compliance_shift: float
    seed: int


def plan_areas(count: int, mean_scale: float, seed: int) -> list[AreaPlan]:
    """``count`` areas whose scales average ``mean_scale``; the same arguments, the same areas."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, count]))
    sizes = rng.lognormal(0.0, SIZE_SIGMA, count)
    scales = np.maximum(sizes / sizes.mean() * mean_scale, SMALLEST_SCALE)
    shifts = np.clip(rng.normal(0.0, COMPLIANCE_SIGMA, count), -COMPLIANCE_LIMIT, COMPLIANCE_LIMIT)
    names = [f"{stem}{ending}" for ending in _ENDINGS for stem in _STEMS]
    titles = [names[i] for i in rng.permutation(len(names))]
    plans = []
    for index in range(count):
        title = titles[index % len(titles)]
        if index >= len(titles):
            title = f"{title} {index // len(titles) + 1}"
        plans.append(
            AreaPlan(
                name=title.lower().replace(" ", "-"),
                title=title,
                scale=round(float(scales[index]), 3),
                compliance_shift=round(float(shifts[index]), 3),
                seed=seed * 1000 + index + 1,
            )
        )
    return plans


def write_areas(
    plans: list[AreaPlan],
    out: Path,
    first: Quarter,
    last: Quarter,
    until: dt.date,
    echo: Callable[[str], object],
) -> list[Path]:
    """Each area's sources in ``out/<name>/`` (police in SQLite, CPS and probation as canonical
    CSV files) and ``out/vcc.toml`` naming them all; returns the files written."""
    # canonical file drops: the demo's CPS mapping belongs to its own configuration
    canonical = load_config(DEFAULT_CONFIG).model_copy(update={"sources": {}})
    written: list[Path] = []
    for number, plan in enumerate(plans, start=1):
        sources = generate_sources(
            first, last, scale=plan.scale, seed=plan.seed, until=until,
            compliance_shift=plan.compliance_shift,
        )  # fmt: skip
        written += write_demo_sources(sources, out / plan.name, canonical)
        victims = len(sources["police"]["victims"])
        echo(
            f"vcc:   {number}/{len(plans)} {plan.title}: scale {plan.scale:g}, {victims:,} victims"
        )
    config = out / "vcc.toml"
    config.write_text(areas_toml(plans), encoding="utf-8")
    return [*written, config]


def areas_toml(plans: list[AreaPlan]) -> str:
    """The configuration of the areas written by ``write_areas``, paths relative to it."""
    lines = [
        "# Synthetic areas written by `vcc generate --areas` (fictitious: no real force or",
        "# person). `vcc run --quarter Q --config vcc.toml` runs them all and compares them.",
        "",
    ]
    districts = json.dumps(list(DEFAULT_DISTRICTS))
    for plan in plans:
        lines += [
            f"[areas.{plan.name}]",
            f"area = {json.dumps(plan.title)}",
            f"# scale {plan.scale:g}, compliance {plan.compliance_shift:+.3f}, seed {plan.seed}",
            f"districts = {districts}",
            f"[areas.{plan.name}.sources.police]",
            'kind = "sql"',
            f'url = "sqlite:///{plan.name}/police.sqlite"',
            *(
                line
                for source in ("cps", "probation")
                for line in (
                    f"[areas.{plan.name}.sources.{source}]",
                    'kind = "files"',
                    f'path = "{plan.name}/{source}"',
                )
            ),
            "",
        ]
    return "\n".join(lines)
