"""The report as PDF (WeasyPrint, A4): PDF/A-3b for the archive, tagged
(a structure tree, so screen readers and text extraction follow the reading
order)."""

from __future__ import annotations

from pathlib import Path

#: The PDF/A part and conformance level written (ISO 19005-3, level B).
PDF_VARIANT = "pdf/a-3b"


def write_pdf(html: str, path: Path) -> Path:
    """Render ``html`` (self-contained) to ``path`` on A4 pages, as tagged PDF/A-3b."""
    import weasyprint  # imported here: it loads Pango, which only the PDF needs

    doc = weasyprint.HTML(string=html, base_url=None).render(pdf_tags=True)
    doc.write_pdf(path, uncompressed_pdf=False, pdf_variant=PDF_VARIANT, pdf_tags=True)
    return path
