"""Chinese text for matplotlib from a pip-installed font, so every machine renders the same.

No CJK font is guaranteed on a developer's or CI machine, so the font comes from PyPI:
``noto-cjk-sans-otc`` ships Google's Noto Sans CJK collection (SIL OFL 1.1). The collection
holds JP, KR, SC, TC and HK faces; we select the Simplified Chinese face by family name,
which needs matplotlib >= 3.11 (the first release that registers every face of a ``.ttc``).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

CJK_FONT_PACKAGE = "noto-cjk-sans-otc"
CJK_FONT_MODULE = "noto_cjk_sans_otc"
CJK_FONT_FILE = "NotoSansCJK-Regular.ttc"
CJK_FAMILY = "Noto Sans CJK SC"
LATIN_FALLBACK_FAMILY = "DejaVu Sans"


class CJKFontUnavailableError(RuntimeError):
    """Raised when the Chinese font cannot be used, with the command that fixes it."""


def cjk_font_path() -> Path:
    """Locate the font file inside the installed font package without importing matplotlib."""
    spec = importlib.util.find_spec(CJK_FONT_MODULE)
    if spec is None or spec.origin is None:
        raise CJKFontUnavailableError(
            f"The Chinese map font is missing: pip install {CJK_FONT_PACKAGE} "
            "(it is a runtime dependency of lcedu; reinstall with pip install -e '.[dev]')."
        )
    path = Path(spec.origin).parent / CJK_FONT_FILE
    if not path.is_file():
        raise CJKFontUnavailableError(f"{CJK_FONT_PACKAGE} is installed but {path} is missing.")
    return path


def _registered_families() -> set[str]:
    from matplotlib import font_manager

    return {entry.name for entry in font_manager.fontManager.ttflist}


def use_cjk_font() -> str:
    """Register the Noto Sans CJK SC face and make it matplotlib's default sans-serif font.

    Idempotent: the font is added to the font manager once, and rcParams are (re)set so
    Chinese and Latin text share one typeface, with DejaVu Sans only as a glyph fallback.
    The ASCII hyphen replaces U+2212 because it renders identically in every backend.
    Returns the family name in use.
    """
    import matplotlib as mpl
    from matplotlib import font_manager

    if CJK_FAMILY not in _registered_families():
        font_manager.fontManager.addfont(cjk_font_path())
    if CJK_FAMILY not in _registered_families():
        raise CJKFontUnavailableError(
            f"matplotlib {mpl.__version__} could not select '{CJK_FAMILY}' from "
            f"{CJK_FONT_FILE}; matplotlib >= 3.11 is required to read font collections."
        )
    preferred = [CJK_FAMILY, LATIN_FALLBACK_FAMILY]
    fallbacks = [name for name in mpl.rcParams["font.sans-serif"] if name not in preferred]
    mpl.rcParams["font.family"] = ["sans-serif"]
    mpl.rcParams["font.sans-serif"] = [*preferred, *fallbacks]
    mpl.rcParams["axes.unicode_minus"] = False
    return CJK_FAMILY
