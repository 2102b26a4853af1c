"""Synthetic demo sources (``vcc generate``, ``vcc demo``): a Cumbria-sized police force, CPS
and Witness Care Unit, and Probation Service, with compliance that varies as it does in life
and the faults real extracts have.

``generate_sources`` makes the canonical tables; ``write_demo_sources`` writes them the way each
agency delivers them (an SQLite database, a CPS file drop with its own names and codes, a
probation folder), using the demo ``[sources]`` of ``config/default.toml`` as the mapping.
The intended compliance patterns are in ``flows.synthetic.compliance``.
"""

from vcc.flows.synthetic.generate import generate_sources
from vcc.flows.synthetic.writers import write_demo_sources

__all__ = ["generate_sources", "write_demo_sources"]
