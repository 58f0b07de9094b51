"""The ingest layer: raw exports read by their layouts, cleaned and validated into the processed tables."""
