"""The rendered report: HTML (opened by headless Chromium), PDF pages, map."""

from __future__ import annotations

import gc
import os
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ceasefire.mandate import Mandate
from ceasefire.report import render_report
from ceasefire.report.layers import map_layers
from ceasefire.report.mapplot import render_map
from conftest import TOTAL, UNDETERMINED, build_day_ctx

# every test of the module on one worker: its module fixtures are made once, not
# once a worker
pytestmark = pytest.mark.xdist_group("report-render")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, donbas: Mandate) -> dict[str, Path]:
    return render_report(build_day_ctx(donbas), tmp_path_factory.mktemp("report"), pdf=True)


class _Cells(HTMLParser):
    """Text of the rule x party table's cells, by (rule, party)."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str], str] = {}
        self.refs: list[str] = []
        self._rule: str | None = None
        self._party: str | None = None
        self._ids: dict[str, str] = {}
        self._id: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for k in ("src", "href"):
            if a.get(k):
                self.refs.append(str(a[k]))
        if tag == "tr" and "data-rule" in a:
            self._rule = a["data-rule"]
        if tag in ("td", "b"):
            self._party = a.get("data-party") or (f"k:{a['data-k']}" if "data-k" in a else None)

    def handle_data(self, data: str) -> None:
        if self._party and data.strip():
            self.cells[(self._rule or "", self._party)] = data.strip()
            self._party = None


def _parse(html: str) -> _Cells:
    p = _Cells()
    p.feed(html)
    return p


def test_html_numbers_match_the_inputs(rendered: dict[str, Path]) -> None:
    p = _parse(rendered["html"].read_text(encoding="utf-8"))
    c = p.cells
    assert c[("", "k:total")] == str(TOTAL)
    assert c[("", "k:undetermined")] == str(UNDETERMINED)
    assert c[("ceasefire", "UA")] == "5" and c[("ceasefire", "undetermined")] == "2"
    assert c[("drones", "other")] == "1"
    totals = {k[1]: int(v) for k, v in c.items() if k[0] == "total"}
    assert totals == {"UA": 6, "RU": 5, "undetermined": 3, "other": 1}
    # the cells of each party column add up to the column total
    for party, total in totals.items():
        col = [int(v) for (r, pa), v in c.items() if pa == party and r not in ("", "total")]
        assert sum(col) == total


def test_html_is_self_contained(rendered: dict[str, Path]) -> None:
    html = rendered["html"].read_text(encoding="utf-8")
    refs = _parse(html).refs
    assert refs and all(r.startswith("data:") for r in refs)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html)
    assert "@import" not in html and "url(http" not in html


def test_chromium_opens_it_without_errors(rendered: dict[str, Path]) -> None:
    html = rendered["html"]
    with tempfile.TemporaryDirectory() as prof:
        shot = html.parent / "screen.png"
        proc = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                f"--user-data-dir={prof}",
                "--enable-logging=stderr",
                "--v=0",
                "--window-size=1000,3000",
                f"--screenshot={shot}",
                html.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert shot.stat().st_size > 50_000
    console = [ln for ln in proc.stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln]
    assert console == []
    blocked = [ln for ln in proc.stderr.splitlines() if "ERR_" in ln and "file://" not in ln]
    assert blocked == []


def test_pdf_pages(rendered: dict[str, Path]) -> None:
    from pypdf import PdfReader

    r = PdfReader(rendered["pdf"])
    assert 2 <= len(r.pages) <= 6
    w, h = float(r.pages[0].mediabox.width), float(r.pages[0].mediabox.height)
    assert abs(w - 595.3) < 1 and abs(h - 841.9) < 1  # A4 in points
    first = r.pages[0].extract_text()
    assert "Daily report" in first and "15 violations" in first
    text = "\n".join(p.extract_text() for p in r.pages)
    assert "Violations by rule and party" in text
    assert "Weapons in violation of withdrawal lines" in text
    assert f"page {len(r.pages)} of {len(r.pages)}" in text
    assert "root hash" in text


def test_map_png(rendered: dict[str, Path]) -> None:
    from PIL import Image

    with Image.open(rendered["map"]) as im:
        assert im.format == "PNG"
        assert im.width >= 1000 and im.height >= 800


def test_same_inputs_same_bytes(tmp_path: Path, donbas: Mandate) -> None:
    a = render_report(build_day_ctx(donbas), tmp_path / "a", pdf=True)
    b = render_report(build_day_ctx(donbas), tmp_path / "b", pdf=True)
    for kind in ("html", "map", "pdf"):
        assert a[kind].read_bytes() == b[kind].read_bytes(), kind


def test_maps_drawn_by_a_forked_process_are_the_same_bytes(
    tmp_path: Path, donbas: Mandate, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ceasefire.report import render

    def spied(*args: object) -> Path:  # tells which process drew, by a file
        path = args[-1]
        assert isinstance(path, Path)
        (tmp_path / f"drawn-{path.stem}").write_text(str(os.getpid()))
        return render_map(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(render, "render_map", spied)
    ctx = build_day_ctx(donbas)
    one = render_report(ctx, tmp_path / "one", pdf=True, map_workers=1)
    drawn = {p.name: int(p.read_text()) for p in tmp_path.glob("drawn-*")}
    assert drawn == {"drawn-map": os.getpid(), "drawn-map-internal": os.getpid()}
    # the default for a day this small: one process (a fork costs more than the maps)
    assert render_report(ctx, tmp_path / "auto", pdf=False) and drawn == {
        p.name: int(p.read_text()) for p in tmp_path.glob("drawn-*")
    }
    two = render_report(ctx, tmp_path / "two", pdf=True, map_workers=2)
    drawn = {p.name: int(p.read_text()) for p in tmp_path.glob("drawn-*")}
    # the published map by another process, the internal one here
    assert drawn["drawn-map"] != os.getpid() and drawn["drawn-map-internal"] == os.getpid()
    assert sorted(one) == sorted(two) == ["html", "internal_html", "internal_map", "map", "pdf"]
    for kind in one:
        assert one[kind].read_bytes() == two[kind].read_bytes(), kind
    assert render._JOBS == []  # nothing of the day held after the report
    assert gc.get_freeze_count() == 0  # the collector sees this process's objects again


def test_a_failing_map_process_fails_the_report(
    tmp_path: Path, donbas: Mandate, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ceasefire.report import render

    def broken(*args: object) -> Path:
        raise OSError(f"cannot write {args[-1]}")

    monkeypatch.setattr(render, "render_map", broken)
    with pytest.raises(OSError, match="cannot write"):
        render_report(build_day_ctx(donbas), tmp_path, pdf=False, map_workers=2)
    assert render._JOBS == [] and gc.get_freeze_count() == 0


def test_pages_rendered_before_their_maps_are_the_pages_rendered_with_them(
    tmp_path: Path, donbas: Mandate
) -> None:
    """``maps`` as a function: called once the pages are rendered with the map's
    stand-in, and the pages, once the maps are in, the bytes of a report given
    its maps as they are."""
    from ceasefire.report import render

    ctx = build_day_ctx(donbas)
    drawn = render.render_maps(ctx.mandate, map_layers(ctx.mandate, ctx.events, ctx.violations),
                               ctx.observers, tmp_path / "maps")  # fmt: skip
    given = render_report(ctx, tmp_path / "given", pdf=False, maps=drawn)
    asked: list[bool] = []

    def maps() -> dict[str, Path]:
        asked.append((tmp_path / "later" / "report.html").exists())
        return drawn

    later = render_report(ctx, tmp_path / "later", pdf=False, maps=maps)
    assert asked == [False]  # asked once, before a page is written
    for kind in ("html", "internal_html"):
        page = later[kind].read_text()
        assert render.MAP_STAND_IN not in page and page.count("data:image/png;base64,") == 1
        assert later[kind].read_bytes() == given[kind].read_bytes(), kind
    # the map's URI in each page: its own map's bytes
    assert html_map_uri(later["html"]) != html_map_uri(later["internal_html"])


def html_map_uri(path: Path) -> str:
    return re.findall(r'class="map" src="([^"]+)"', path.read_text())[0]


def test_a_page_holding_the_stand_in_twice_is_rendered_again_with_its_map(
    donbas: Mandate,
) -> None:
    from ceasefire.report import render
    from ceasefire.report.summary import summarize

    ctx = build_day_ctx(donbas)
    s = summarize(ctx)
    svg = "data:image/svg+xml;base64,PHN2Zy8+"
    svgs = {k: svg for k in ("hour_uri", "sector_uri", "trend_uri")}
    png = b"\x89PNG not a map"
    page = render._page(ctx, s, svgs, False, render.MAP_STAND_IN)
    whole = render._page(ctx, s, svgs, False, render.data_uri(png, "image/png"))
    assert render._with_map(ctx, s, svgs, False, page, png) == whole
    # a text of the report that held the stand-in would be left alone
    twice = page + render.MAP_STAND_IN
    assert render._with_map(ctx, s, svgs, False, twice, png) == whole


def test_the_published_map_does_not_show_observers_the_internal_one_does(
    tmp_path: Path, donbas: Mandate
) -> None:
    from dataclasses import replace

    ctx = build_day_ctx(donbas)
    assert ctx.observers, "the scene must have observers for this test to mean anything"
    both = render_report(ctx, tmp_path / "with", pdf=False, internal=True)
    none = render_report(replace(ctx, observers=[]), tmp_path / "none", pdf=False, internal=True)
    # the published map is the map of a day with no observers; the internal one is not
    assert both["map"].read_bytes() == none["map"].read_bytes()
    assert both["internal_map"].read_bytes() != none["internal_map"].read_bytes()
    public = both["html"].read_text()
    assert "INTERNAL" not in public
    assert "observers are left out of" in public.replace("\n  ", " ")
    assert "INTERNAL" in both["internal_html"].read_text()


def _struct_types(node: object, acc: dict[str, int]) -> dict[str, int]:
    import pikepdf

    if isinstance(node, pikepdf.Array):
        for child in node:
            _struct_types(child, acc)
    elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
        acc[str(node.S)] = acc.get(str(node.S), 0) + 1
        if "/K" in node:
            _struct_types(node.K, acc)
    return acc


def test_pdf_is_tagged_pdf_a_3b(rendered: dict[str, Path]) -> None:
    """What this checks of ISO 19005-3 level B (veraPDF is not packaged in Debian):
    the XMP identification (pdfaid part 3, conformance B), an sRGB output intent
    with its ICC profile, every font embedded, no encryption, a file qpdf finds
    free of syntax and stream errors; and of tagged PDF: MarkInfo/Marked, a
    language, and a structure tree with the report's headings, tables and figures."""
    import pikepdf

    with pikepdf.open(rendered["pdf"]) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "3" and meta["pdfaid:conformance"] == "B"
        assert "daily report" in meta["dc:title"]
        assert not pdf.is_encrypted
        (intent,) = pdf.Root.OutputIntents
        assert intent.S == "/GTS_PDFA1" and int(intent.DestOutputProfile.N) == 3
        fonts = [
            f
            for page in pdf.pages
            for f in (page.Resources.get("/Font") or {}).values()  # type: ignore[attr-defined]
        ]
        assert fonts
        for f in fonts:
            desc = (
                f.FontDescriptor if "/FontDescriptor" in f else f.DescendantFonts[0].FontDescriptor
            )
            assert any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")), f
        assert bool(pdf.Root.MarkInfo.Marked) and str(pdf.Root.Lang) == "en"
        tags = _struct_types(pdf.Root.StructTreeRoot.K, {})
    assert tags.get("/Document") == 1 and tags.get("/H1") == 1
    assert tags.get("/H2", 0) >= 5 and tags.get("/Table", 0) >= 5 and tags.get("/Figure", 0) >= 1
    check = subprocess.run(
        ["qpdf", "--check", str(rendered["pdf"])], capture_output=True, text=True, timeout=120
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No syntax or stream encoding errors found" in check.stdout
