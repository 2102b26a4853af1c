"""The warehouse of record: runs, metrics history, versions, approvals, reviews."""
