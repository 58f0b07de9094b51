"""The measure layer: indicators, assessments, targets and gaps, computed once per build from the cleaned tables."""
