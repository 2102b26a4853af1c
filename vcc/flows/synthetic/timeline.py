"""Time in the synthetic world: the generated window, random instants and working-day delays.

All instants are numpy ``datetime64[s]`` arrays of naive local time; NaT means "did not happen".
Delays are drawn in England and Wales working days (the calendar the measures count with), so a
profile's intended on-time rate is the rate the measures find.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from vcc.transforms.calendar import WorkingDayCalendar
from vcc.transforms.quarters import Quarter

NAT = np.datetime64("NaT", "s")
DAY = np.timedelta64(1, "D")
SECONDS_PER_DAY = 86_400
# A year of history before the first quarter, so that court and probation stages (which follow a
# crime by months) are in full flow from the first requested quarter.
HISTORY_QUARTERS = 4

_BUSINESS_DAYS = np.busdaycalendar(
    weekmask="1111100", holidays=WorkingDayCalendar().holidays.astype("datetime64[D]")
)


def instant(day: dt.date) -> np.datetime64:
    """Midnight at the start of ``day``."""
    return np.datetime64(day, "s")


def quarter_index(quarter: Quarter) -> int:
    """Quarters since 1970Q1, the scale the trends are drawn on."""
    return (quarter.year - 1970) * 4 + quarter.number - 1


def quarter_of(times: np.ndarray) -> np.ndarray:
    """Quarters since 1970Q1 of each instant."""
    return times.astype("datetime64[M]").astype(np.int64) // 3


@dataclass(frozen=True)
class Window:
    """The requested quarters, the history before them, and the extract's as-of day."""

    first: Quarter
    last: Quarter
    until: dt.date
    # An area's own compliance: added to every profile's on-time rate (flows/synthetic/areas.py)
    compliance_shift: float = 0.0

    @property
    def cutoff(self) -> np.datetime64:
        """Nothing is dated at or after this instant: the end of the as-of day."""
        return instant(self.until + dt.timedelta(days=1))

    @property
    def trigger_end(self) -> np.datetime64:
        """Crimes are reported before the end of the last quarter and of the as-of day."""
        return min(instant(self.last.next().start), self.cutoff)

    @property
    def quarters(self) -> list[Quarter]:
        """Every generated quarter, history included, that starts before the cutoff."""
        quarters = [self.first.shift(-HISTORY_QUARTERS)]
        while quarters[-1] < self.last and instant(quarters[-1].next().start) < self.cutoff:
            quarters.append(quarters[-1].next())
        return quarters

    @property
    def centre(self) -> float:
        """The middle of the requested quarters: trends pivot here, so a range's average rate is
        the profile's rate."""
        return (quarter_index(self.first) + quarter_index(self.last)) / 2

    def drop_after_cutoff(self, times: np.ndarray) -> np.ndarray:
        """Instants after the as-of day become NaT: the extract cannot know of them yet."""
        return np.where(times < self.cutoff, times, NAT)


def uniform_times(
    rng: np.random.Generator, start: np.datetime64, end: np.datetime64, n: int
) -> np.ndarray:
    """``n`` instants in [start, end), more of them by day than at night."""
    days = (end - start) // np.timedelta64(1, "D")
    day = start.astype("datetime64[D]") + rng.integers(0, days, n)
    # Reports cluster in the afternoon and evening; a third arrive at any hour.
    by_day = rng.normal(15.5 * 3600, 4 * 3600, n)
    any_hour = rng.uniform(0, SECONDS_PER_DAY, n)
    seconds = np.where(rng.random(n) < 0.35, any_hour, by_day)
    seconds = np.clip(seconds, 0, SECONDS_PER_DAY - 1).astype(np.int64)
    return day.astype("datetime64[s]") + seconds.astype("timedelta64[s]")


def arrivals(
    rng: np.random.Generator,
    window: Window,
    per_quarter: float,
    season: dict[int, float] | None = None,
) -> np.ndarray:
    """Sorted instants of a stream of about ``per_quarter`` arrivals a quarter (times the
    quarter's ``season`` factor) over the window, none after the as-of day."""
    times = []
    for quarter in window.quarters:
        start, full_end = instant(quarter.start), instant(quarter.next().start)
        end = min(full_end, window.trigger_end)
        expected = per_quarter * (season or {}).get(quarter.number, 1.0)
        expected *= (end - start) / (full_end - start)
        times.append(uniform_times(rng, start, end, rng.poisson(expected)))
    return np.sort(np.concatenate(times))


def office_hours(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    """An instant between 08:00 and 18:00 on each day."""
    seconds = rng.integers(8 * 3600, 18 * 3600, len(days))
    return days.astype("datetime64[D]").astype("datetime64[s]") + seconds.astype("timedelta64[s]")


def after_days(
    rng: np.random.Generator,
    start: np.ndarray,
    mean_days: float | np.ndarray,
    minimum_days: float = 0.0,
) -> np.ndarray:
    """``start`` plus an exponential number of calendar days (a waiting time)."""
    days = minimum_days + rng.exponential(mean_days, len(start))
    return start + (days * SECONDS_PER_DAY).astype(np.int64).astype("timedelta64[s]")


def between(rng: np.random.Generator, earlier: np.ndarray, later: np.ndarray) -> np.ndarray:
    """An instant uniformly between two instants."""
    span = (later - earlier).astype(np.int64)
    return earlier + (rng.random(len(earlier)) * span).astype(np.int64).astype("timedelta64[s]")


def plus_hours(
    rng: np.random.Generator, start: np.ndarray, low: float | np.ndarray, high: float | np.ndarray
) -> np.ndarray:
    """``start`` plus a uniform number of hours in [low, high)."""
    seconds = rng.uniform(low * 3600, high * 3600, len(start)).astype(np.int64)
    return start + seconds.astype("timedelta64[s]")


def working_day(days: np.ndarray) -> np.ndarray:
    """Each day, or the next working day if it is not one (courts sit on working days)."""
    return np.busday_offset(
        days.astype("datetime64[D]"), 0, roll="forward", busdaycal=_BUSINESS_DAYS
    )


def after_working_days(
    rng: np.random.Generator, trigger: np.ndarray, working_days: np.ndarray
) -> np.ndarray:
    """An action ``working_days`` working days after each trigger (0: later the same day).

    Counting from the trigger date rolled back to a working day gives CONTRACT.md §1's due date:
    an action N working days on is on time exactly when N is within the deadline.
    """
    day = trigger.astype("datetime64[D]")
    later = np.busday_offset(
        day, np.maximum(working_days, 1), roll="backward", busdaycal=_BUSINESS_DAYS
    )
    later_at = office_hours(rng, later)
    # The same day: a little after the trigger, and before midnight.
    left = ((day + DAY).astype("datetime64[s]") - trigger).astype(np.int64) - 1
    same_day_at = trigger + (rng.random(len(trigger)) * np.minimum(left, 6 * 3600)).astype(
        np.int64
    ).astype("timedelta64[s]")
    return np.where(working_days == 0, same_day_at, later_at)
