"""The project's exceptions. Each carries a message written for an analyst; the CLI prints it as
one line and exits non-zero. And the one line for a fault of the machine (a full or read-only
disk), which is no exception of vcc's but is not a fault in vcc either."""

import errno


class VccError(Exception):
    """Anything vcc reports to its user as one clear line."""


class RunDatesError(VccError):
    """The quarter and as-of date asked for cannot be reported (a quarter not yet begun)."""


class EmptyQuarterError(VccError):
    """No Victims' Code duty fell in the quarter in the sources: there is nothing to report."""


class ConfigError(VccError):
    """The configuration file is missing, malformed or inconsistent."""


class SourceError(VccError):
    """A source, table or column cannot be read: names the source, the table and the problem."""


class ValidationFailed(VccError):
    """A critical expectation failed: the table is unusable and the run stops."""


class SourceUnavailable(SourceError):
    """A database could not be reached for now (refused, timed out, locked): worth retrying."""


# A fault of the machine rather than of vcc, in the words its line gives.
_MACHINE_FAULTS = {
    errno.ENOSPC: "no space left on the disk",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EIO: "input/output error",
}
# SQLite's own words for the same faults (it reports them without an errno).
_SQLITE_FAULTS = {
    "database or disk is full": errno.ENOSPC,
    "attempt to write a readonly database": errno.EROFS,
    "unable to open database file": errno.EACCES,
}


def machine_fault(error: BaseException) -> str | None:
    """The one line for a full or read-only disk or a file vcc may not use, anywhere in the
    chain of ``error`` (SQLAlchemy wraps SQLite's, Prefect re-raises a task's); else None."""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, OSError) and cause.errno in _MACHINE_FAULTS:
            where = f"{cause.filename}: " if cause.filename else ""
            return f"{where}{_MACHINE_FAULTS[cause.errno]}"
        text = str(getattr(cause, "orig", None) or cause)
        for words, number in _SQLITE_FAULTS.items():
            if text.startswith(words):
                return f"the warehouse: {_MACHINE_FAULTS[number]} ({words})"
        cause = cause.__cause__ or cause.__context__
    return None


class AreasFailed(VccError):
    """One or more areas of a run of many failed; the others' outputs and the comparison were
    written. Names each failed area and why."""


def one_line(error: BaseException) -> str:
    """A failure's reason for the run log, the warehouse and the notice: the project's errors say
    what is wrong in one line, and so does a full or read-only disk; anything else is named by its
    type (its text may hold data)."""
    if isinstance(error, VccError):
        return str(error).splitlines()[0] if str(error) else type(error).__name__
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    if fault := machine_fault(error):
        return fault
    return f"unexpected {type(error).__name__}; see the Prefect run log"
