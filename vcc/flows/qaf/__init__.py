"""The Quality Assessment Framework: dip samples, case review packs and forms, imports.
(The largest sample, ``MAX_SAMPLE_SIZE``, is a setting's bound: ``flows.config``.)"""
