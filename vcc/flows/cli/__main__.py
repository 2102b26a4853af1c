"""``python -m vcc.flows.cli``: the ``vcc`` command, as the console script runs it."""

from vcc.flows.cli import main

main()
