"""Reading the agencies' sources: extraction, coercion, validation, snapshots."""
