"""Complaints to each agency (Right 12): acknowledged within ten working days, mostly."""

from __future__ import annotations

import numpy as np
import pandas as pd

from vcc.flows.synthetic.compliance import PROFILES, draw_actions
from vcc.flows.synthetic.timeline import NAT, Window, after_days, arrivals

COMPLAINTS_PER_QUARTER = {"police": 100, "cps": 20, "probation": 10}
RESPONDED_SHARE = 0.75


def generate_complaints(
    rng: np.random.Generator, window: Window, source: str, scale: float
) -> pd.DataFrame:
    received_at = arrivals(rng, window, COMPLAINTS_PER_QUARTER[source] * scale)
    n = len(received_at)
    acknowledged_at = draw_actions(rng, PROFILES[f"R12-ACK-{source}"], window, received_at)
    responded_at = np.where(
        rng.random(n) < RESPONDED_SHARE, after_days(rng, received_at, 20.0, 10.0), NAT
    )
    return pd.DataFrame(
        {
            "complaint_no": np.arange(1, n + 1),
            "received_at": received_at,
            "acknowledged_at": acknowledged_at,
            "responded_at": window.drop_after_cutoff(responded_at),
        }
    )
