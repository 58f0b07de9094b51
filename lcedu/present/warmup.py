"""What a spare notebook kernel runs before its notebook arrives: the imports and the build's results."""

from __future__ import annotations


def warm_up() -> None:
    """Import the presentation modules (about 3 s) and read the build's results every notebook starts from."""
    import matplotlib.pyplot  # noqa: F401
    import pandas  # noqa: F401

    from lcedu.present import briefing, charts, maps, narrative, sections  # noqa: F401

    briefing.base()
