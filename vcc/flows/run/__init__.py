"""The Prefect flows and their tasks: one quarter's run from sources to published outputs."""
