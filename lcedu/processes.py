"""Worker processes that never outlive the command that started them."""

from __future__ import annotations

import signal
import sys


def die_with_parent() -> None:
    """Ask the kernel to send this process SIGTERM when its parent dies (Linux; elsewhere a no-op).

    A pool initializer: a killed ``lcedu clean`` or ``lcedu render`` must not leave its workers
    (hundreds of MB each) running on their own.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
