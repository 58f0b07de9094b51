"""PDF conversion of the documents with headless LibreOffice, where ``soffice`` is installed."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path


def to_pdf(documents: Sequence[Path], out_dir: Path, timeout: int = 300) -> list[Path]:
    """Convert with headless LibreOffice; an empty list when ``soffice`` is not installed.

    A RuntimeError carries LibreOffice's output when a PDF is not produced.
    """
    soffice = shutil.which("soffice")
    if soffice is None or not documents:
        return []
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lcedu-lo-") as profile:
        done = subprocess.run(
            [
                soffice,
                "--headless",
                "--norestore",
                "--nolockcheck",
                f"-env:UserInstallation=file://{profile}",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out_dir),
                *map(str, documents),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    pdfs = [out_dir / (Path(d).stem + ".pdf") for d in documents]
    missing = [p for p in pdfs if not p.exists() or p.stat().st_size == 0]
    if done.returncode != 0 or missing or "Error" in done.stderr:
        raise RuntimeError(
            f"LibreOffice 转换 PDF 失败 / PDF conversion failed (exit {done.returncode}): "
            f"{', '.join(p.name for p in missing)}\n{done.stdout}\n{done.stderr}"
        )
    return pdfs
