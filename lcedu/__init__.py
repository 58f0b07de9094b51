"""lcedu: analytics for 临沧市教育高质量发展三年行动计划 (2023—2025).

Kept light on purpose: importing lcedu pulls in pandas only when a table is loaded,
and never geopandas (maps import it themselves).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    import pandas as pd


def load(table: str, processed_dir: str | None = None) -> pd.DataFrame:
    """Return a processed table (``schools``, ``enrollment``, ``teachers`` ...) as a DataFrame."""
    from lcedu.ingest.store import load as _load

    return _load(table, processed_dir)


__all__ = ["load", "__version__"]
