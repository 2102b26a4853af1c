"""The ``vcc`` command (CONTRACT.md §5): the group (``app.py``) and its commands, one module per
group of them. This is the one place that wires them together; ``vcc.flows.cli:main`` is the
console script and ``python -m vcc.flows.cli`` runs the same."""

from vcc.flows.cli import catalogue, operations, qaf, run, sources, warehouse
from vcc.flows.cli.app import main

for command in (
    run.run,
    run.backfill,
    run.demo,
    run.serve,
    sources.validate,
    sources.generate,
    catalogue.measures,
    operations.approve,
    operations.circulate,
    operations.history,
    operations.show,
    qaf.sample,
    qaf.review,
    warehouse.warehouse,
):
    main.add_command(command)

__all__ = ["main"]
