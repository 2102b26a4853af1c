"""Operating vcc: the schedule, circulation by mail, history and run summaries."""
