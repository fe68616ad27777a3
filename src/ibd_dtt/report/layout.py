"""Page layout of printed tables: paper sizes, the width of text, and column widths fitted
to the content so that no word is ever broken across lines.

Text widths use the Adobe font metrics of Helvetica (the AFM files shipped with matplotlib,
``mpl-data/fonts/pdfcorefonts``), with which Arial and Liberation Sans (the font LibreOffice
substitutes for Arial) are metric-compatible: the width of every ASCII character is exact,
other characters count as one em at most.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

# Page geometry in millimetres: paper sizes (portrait), and the margin of every side.
PAPER_SIZES = {"a4": (210.0, 297.0), "letter": (215.9, 279.4)}
MARGIN_MM = 20.0
TABLE_FONT_PT = (9.0, 8.0, 7.0)  # the font of a table, smaller only when it cannot fit
# Word's default left and right cell margins (108 twips each), plus rounding slack.
CELL_PADDING_MM = 2 * 1.905 + 0.8
INDENT_MM = 3.0  # one indented level in the first column (170 twips)

# Advance widths in 1/1000 em of the characters 32 (space) to 126 (~).
_REGULAR = (
    278,
    278,
    355,
    556,
    556,
    889,
    667,
    222,
    333,
    333,
    389,
    584,
    278,
    333,
    278,
    278,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    278,
    278,
    584,
    584,
    584,
    556,
    1015,
    667,
    667,
    722,
    722,
    667,
    611,
    778,
    722,
    278,
    500,
    667,
    556,
    833,
    722,
    778,
    667,
    778,
    722,
    667,
    611,
    722,
    667,
    944,
    667,
    667,
    611,
    278,
    278,
    278,
    469,
    556,
    222,
    556,
    556,
    500,
    556,
    556,
    278,
    556,
    556,
    222,
    222,
    500,
    222,
    833,
    556,
    556,
    556,
    556,
    333,
    500,
    278,
    556,
    500,
    722,
    500,
    500,
    500,
    334,
    260,
    334,
    584,
)
_BOLD = (
    278,
    333,
    474,
    556,
    556,
    889,
    722,
    278,
    333,
    333,
    389,
    584,
    278,
    333,
    278,
    278,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    333,
    333,
    584,
    584,
    584,
    611,
    975,
    722,
    722,
    722,
    722,
    667,
    611,
    778,
    722,
    278,
    556,
    722,
    611,
    833,
    722,
    778,
    667,
    778,
    722,
    667,
    611,
    722,
    667,
    944,
    667,
    667,
    611,
    333,
    278,
    333,
    584,
    556,
    278,
    556,
    611,
    556,
    611,
    556,
    333,
    611,
    611,
    278,
    278,
    556,
    278,
    889,
    611,
    611,
    611,
    611,
    389,
    556,
    333,
    611,
    556,
    778,
    556,
    556,
    500,
    389,
    280,
    389,
    584,
)
_WIDE = {"\u2192": 1000, "\u2264": 584, "\u2265": 584, "\u2013": 556, "\u2212": 584, "\u00b5": 556}


def text_width_mm(text: str, font_pt: float, bold: bool = False) -> float:
    """Printed width of ``text`` in Arial at ``font_pt``.

    >>> round(text_width_mm("CD", 9.0), 2)  # (722 + 722) / 1000 em x 9 pt
    4.58
    """
    table = _BOLD if bold else _REGULAR
    units = sum(table[ord(c) - 32] if 32 <= ord(c) <= 126 else _WIDE.get(c, 1000) for c in text)
    return units / 1000 * font_pt * 25.4 / 72


@dataclass(frozen=True)
class TableLayout:
    """How a table is printed: orientation, font size and the width of each column (mm)."""

    landscape: bool
    font_pt: float
    widths_mm: tuple[float, ...]


def _column_needs(texts: list[tuple[str, bool]], font_pt: float, first: bool):
    """(longest word, longest line) of a column, in mm, cell padding included."""
    word = line = 0.0
    for text, bold in texts:
        depth = (len(text) - len(text.lstrip(" "))) // 4 if first else 0
        indent = INDENT_MM * depth
        text = text.strip()
        line = max(line, indent + text_width_mm(text, font_pt, bold))
        for piece in text.split():
            word = max(word, indent + text_width_mm(piece, font_pt, bold))
    return word + CELL_PADDING_MM, line + CELL_PADDING_MM


def fit_columns(
    labels: list[str],
    frame: pd.DataFrame,
    paper: str = "a4",
    spanners: tuple[tuple[str, int], ...] | list = (),
    bold_rows: list[bool] | None = None,
) -> TableLayout:
    """Column widths fitted to the content of a table, no word ever broken.

    Every column gets at least its longest word (so lines break between words only) and,
    when the page allows, its longest line; the width left after the narrowest layout is
    shared in proportion to what each column still needs to print on one line. Portrait
    unless the table does not fit; then landscape; then a smaller font (9, 8, 7 pt). A
    table wider than a landscape page at 7 pt shares the width in proportion to its lines.
    """
    if paper not in PAPER_SIZES:
        raise ValueError(f"paper must be one of {sorted(PAPER_SIZES)}, not {paper!r}")
    bold_rows = bold_rows or [False] * len(frame)
    columns = []
    for j, label in enumerate(labels):
        values = frame.iloc[:, j] if j < frame.shape[1] else []
        texts = [(str(label), True)] + [
            ("" if pd.isna(v) else str(v), bold) for v, bold in zip(values, bold_rows, strict=False)
        ]
        columns.append(texts)
    width, height = PAPER_SIZES[paper]
    for font_pt in TABLE_FONT_PT:
        needs = [_column_needs(texts, font_pt, j == 0) for j, texts in enumerate(columns)]
        least = [w for w, _ in needs]
        most = [max(w, line) for w, line in needs]
        at = 0  # a spanner's label needs the room of the columns under it
        for label, span in spanners:
            words = [text_width_mm(w, font_pt, True) for w in str(label).split()]
            need = max(words, default=0.0) + CELL_PADDING_MM
            have = sum(least[at : at + span])
            if need > have:
                for k in range(at, at + span):
                    least[k] += (need - have) / span
                    most[k] = max(most[k], least[k])
            at += span
        for landscape in (False, True):
            usable = (height if landscape else width) - 2 * MARGIN_MM
            if sum(least) > usable:
                continue
            spare = usable - sum(least)
            extra = [m - lo for m, lo in zip(most, least, strict=True)]
            if sum(extra) <= spare:
                widths = most
            else:
                widths = [lo + spare * e / sum(extra) for lo, e in zip(least, extra, strict=True)]
            return TableLayout(landscape, font_pt, tuple(widths))
    usable = height - 2 * MARGIN_MM
    return TableLayout(True, TABLE_FONT_PT[-1], tuple(usable * m / sum(most) for m in most))
