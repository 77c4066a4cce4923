"""Horizontal bar charts as numbers for an inline SVG template (charts.html.j2).

The page runs no script, so charts are drawn on the server: this module only measures (bar
lengths, rows, the viewBox); the template writes the markup, escaping every label.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# The SVG's own units; CSS scales the whole drawing to the column's width.
WIDTH = 480
LABEL = 130  # the label column, left of the bars
NUMBER = 50  # room right of the longest bar for its number
ROW = 28
BAR = 18


@dataclass(frozen=True)
class Bar:
    """One row of a chart: its label, its count, and where it is drawn."""

    label: str
    count: int
    y: int
    length: int

    @property
    def text_y(self) -> int:
        """The baseline of the row's label and number (centred on the bar)."""
        return self.y + BAR // 2 + 5

    @property
    def number_x(self) -> int:
        """Where the number is written: just past the end of the bar."""
        return LABEL + self.length + 6


@dataclass(frozen=True)
class Chart:
    """A titled bar chart: ``key`` names its SVG ids, ``unit`` what its rows are;
    ``description`` says it all in words."""

    key: str
    title: str
    unit: str
    description: str
    bars: tuple[Bar, ...]
    total: int

    @property
    def height(self) -> int:
        """The drawing's height in SVG units."""
        return max(1, len(self.bars)) * ROW

    @property
    def width(self) -> int:
        """The drawing's width in SVG units."""
        return WIDTH

    @property
    def bar_x(self) -> int:
        """Where every bar starts."""
        return LABEL

    @property
    def bar_height(self) -> int:
        """How thick a bar is."""
        return BAR

    @property
    def label_x(self) -> int:
        """Where labels end (they are right-aligned against the bars)."""
        return LABEL - 8


def bar_chart(key: str, title: str, unit: str, counts: Mapping[str, int]) -> Chart:
    """Return the chart of ``counts`` (in the order given), its longest bar the full width."""
    top = max(counts.values(), default=0)
    room = WIDTH - LABEL - NUMBER
    bars = tuple(
        Bar(label, count, index * ROW + (ROW - BAR) // 2, round(room * count / top) if top else 0)
        for index, (label, count) in enumerate(counts.items())
    )
    words = ", ".join(f"{label}: {count}" for label, count in counts.items()) or "nothing yet"
    return Chart(key, title, unit, f"{title}. {words}.", bars, sum(counts.values()))
