"""Bounds that both a setting (``flows.config``) and the command line's ``--help`` state: here,
below both, so that ``vcc --help`` says them without loading the settings (pydantic)."""

# A dip sample is read case by case by the Victims' Quality Champion: 40 cases a quarter is usual,
# and a case review pack of 200 cases is already some 400 pages (about 2 minutes to render).
MAX_SAMPLE_SIZE = 200
