"""Daily report, maps, charts and exports (GeoJSON, KML, GeoPackage, CSV, CoT).

``ReportContext`` holds a day's results; ``render_report`` writes the HTML,
PDF and map; ``export`` writes the day's events and violations in a format.
"""

from ceasefire.report.context import ReportContext
from ceasefire.report.exports import FORMATS, export
from ceasefire.report.render import render_report

__all__ = ["FORMATS", "ReportContext", "export", "render_report"]
