"""What a source's ``date_format`` declares: that it reads a day (a format of months or years
would read every value as a 1st), and the finest unit it reads, which an ISO 8601 value read in
its stead must give too (``date_text``). Kept free of pandas: the configuration checks formats
when it is read, and the quick commands load no pandas."""

from __future__ import annotations

from typing import Final

# The finest unit a strptime format reads, in order: 0 a day, 1 an hour, 2 a minute, 3 a second.
UNITS: Final = ("day", "hour", "minute", "second")
FORMAT_UNITS: Final = (("%S", 3), ("%T", 3), ("%M", 2), ("%R", 2), ("%H", 1), ("%I", 1))


def check_date_format(date_format: str) -> str:
    """``date_format`` if it reads a day; else ValueError (a format of months reads 1st days)."""
    if not any(code in date_format for code in ("%d", "%j", "%c", "%x")):
        raise ValueError(
            f"{date_format!r} reads no day (%d): a date needs its day, so a month or a year "
            "cannot be a date format"
        )
    return date_format


def declared_unit(date_format: str | None) -> int:
    """The finest unit ``date_format`` reads (an index into UNITS); a day without a format."""
    if not date_format:
        return 0
    return max((unit for code, unit in FORMAT_UNITS if code in date_format), default=0)
