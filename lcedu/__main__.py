"""The ``lcedu`` console command (and ``python -m lcedu``): arguments first, then the command's modules.

``lcedu.cli`` imports every command's modules at its top (pandas, pandera, scipy, matplotlib, mapclassify: about
7 s on 2 cores, 14 s on a loaded machine); ``lcedu --help`` or a mistyped option answers from the light parser
in ``lcedu.arguments`` before any of them is imported.
"""

from __future__ import annotations

import sys

from lcedu.arguments import parser


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments (help and usage errors exit here), then run the command through ``lcedu.cli``."""
    parser().parse_args(argv)
    # Lazy on purpose: the commands' third-party packages take seconds to import; see the module docstring.
    from lcedu import cli

    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
