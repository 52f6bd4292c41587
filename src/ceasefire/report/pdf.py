"""The report as PDF (WeasyPrint, A4)."""

from __future__ import annotations

from pathlib import Path


def write_pdf(html: str, path: Path) -> Path:
    """Render ``html`` (self-contained) to ``path`` on A4 pages."""
    import weasyprint  # imported here: it loads Pango, which only the PDF needs

    doc = weasyprint.HTML(string=html, base_url=None).render()
    doc.write_pdf(path, uncompressed_pdf=False)
    return path
