"""The present layer: words, tables, charts and maps made from the stored results (no analysis here)."""
