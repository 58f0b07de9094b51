"""What a spare notebook kernel runs before its notebook arrives: the imports and the build's results."""

from __future__ import annotations

# Imported for the kernel's sake: a warm kernel has the presentation modules loaded before its notebook arrives.
from lcedu.present import briefing, charts, maps, narrative, sections  # noqa: F401


def warm_up() -> None:
    """Import pyplot and pandas (about 3 s with the modules above) and read the results every notebook starts from."""
    # Lazy on purpose: pyplot is imported in the kernel that warms up, never in the process that starts kernels.
    import matplotlib.pyplot  # noqa: F401
    import pandas  # noqa: F401

    briefing.base()
