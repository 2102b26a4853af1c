"""The project's exceptions. Each carries a message written for an analyst; the CLI prints it as
one line and exits non-zero."""


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


class AreasFailed(VccError):
    """One or more areas of a run of many failed; the others' outputs and the comparison were
    written. Names each failed area and why."""
