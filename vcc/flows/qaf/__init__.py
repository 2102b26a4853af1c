"""The Quality Assessment Framework: dip samples, case review packs and forms, imports."""
