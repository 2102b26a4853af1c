"""The Quality Assessment Framework: dip samples, case review packs and forms, imports."""

# A dip sample is read case by case by the Victims' Quality Champion: 40 cases a quarter is usual,
# and a case review pack of 200 cases is already some 400 pages (about 2 minutes to render).
# Here, not in sample.py, so that the command line can say it without loading the sampling.
MAX_SAMPLE_SIZE = 200
