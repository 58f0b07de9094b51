"""The publish layer: notebooks rendered per county, the offline site and its index."""
