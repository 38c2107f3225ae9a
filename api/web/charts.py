"""A column's statistics as a small chart with its values in words: geometry here, markup
in the template.

The bars are decoration (``aria-hidden``): every value a bar stands for is also in the
visible caption (range or top three values) and in the column's list of bins or values,
so nothing is reachable only by hovering.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

WIDTH, HEIGHT = 120, 32
CAPTION_VALUES = 3


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    title: str


@dataclass(frozen=True)
class ValueCount:
    """One bin or one value of a column and how many rows hold it."""

    label: str
    count: int


@dataclass
class ColumnSummary:
    """What a column header shows: the bars, a caption and every bin or value as text."""

    bars: list[Bar] = field(default_factory=list)
    caption: list[str] = field(default_factory=list)
    values: list[ValueCount] = field(default_factory=list)
    values_title: str = ""
    width: int = WIDTH
    height: int = HEIGHT


def bars(counts: list[tuple[str, int]]) -> list[Bar]:
    """Bars for ``(label, count)`` pairs, scaled into a WIDTH × HEIGHT box."""
    if not counts:
        return []
    top = max(n for _, n in counts) or 1
    step = WIDTH / len(counts)
    out = []
    for i, (label, n) in enumerate(counts):
        h = round(HEIGHT * n / top, 1)
        out.append(
            Bar(round(i * step, 1), round(HEIGHT - h, 1), round(max(step - 1, 1), 1), h,
                f"{label}: {n}")
        )  # fmt: skip
    return out


def number(value: Any) -> str:
    """A number for people: whole numbers as they are, others to four significant digits
    (never in exponent notation)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int) or value.is_integer():
        return f"{int(value):,}"
    if not math.isfinite(value):
        return str(value)
    decimals = max(0, 3 - math.floor(math.log10(abs(value))))
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _edge(value: float, kind: str) -> str:
    """A histogram edge: a date or time for date columns (edges are epoch seconds)."""
    if kind == "date":
        return dt.datetime.fromtimestamp(value, dt.UTC).date().isoformat()
    if kind == "timestamp":
        return dt.datetime.fromtimestamp(value, dt.UTC).isoformat(timespec="minutes")[:16]
    return number(value)


def _range(low: float, high: float, kind: str, last: bool) -> str:
    """A bin's values: ``[low, high)``, the last bin closed; whole numbers for integer
    columns (``0 – 24``, not ``0 – 24.9``)."""
    if kind in ("integer", "date"):
        unit = 86400 if kind == "date" else 1  # date edges are epoch seconds
        first = math.ceil(low / unit)
        end = math.floor(high / unit) if last else math.ceil(high / unit) - 1
        low_text, high_text = _edge(first * unit, kind), _edge(end * unit, kind)
        return low_text if end <= first else f"{low_text} – {high_text}"
    return f"{_edge(low, kind)} – {_edge(high, kind)}"


def _value(value: Any) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if value != "" else "(empty text)"


def distinct_text(stats: dict[str, Any]) -> str | None:
    """``5 distinct (exact)`` when counted exactly, ``~266 distinct`` for an estimate."""
    if "distinct" in stats:
        n = number(stats["distinct"])
        return f"{n} distinct (exact)" if stats.get("distinct_exact") else f"~{n} distinct"
    if "distinct_estimate" in stats:  # statistics stored before exact counts existed
        return f"~{number(stats['distinct_estimate'])} distinct"
    return None


def summarise(stats: dict[str, Any]) -> ColumnSummary:
    """The chart, caption and value list of one column's statistics."""
    kind = str(stats.get("kind", ""))
    out = ColumnSummary()
    top = stats.get("top_values") or []
    lengths = stats.get("lengths") or {}
    if top:
        out.values = [ValueCount(_value(t["value"]), int(t["count"])) for t in top]
        out.values_title = "Most frequent values"
        shown = [f"{v.label} ({number(v.count)})" for v in out.values[:CAPTION_VALUES]]
        out.caption.append(" · ".join(shown))
    elif stats.get("histogram"):
        hist = stats["histogram"]
        out.values = [
            ValueCount(_range(b["from"], b["to"], kind, i == len(hist) - 1), int(b["count"]))
            for i, b in enumerate(hist)
        ]
        out.values_title = "Rows per range"
    elif lengths.get("histogram"):
        out.values = [
            ValueCount(f"{number(b['from'])} – {number(b['to'])} characters", int(b["count"]))
            for b in lengths["histogram"]
        ]
        out.values_title = "Rows per text length"
    if "min" in stats and stats.get("min") is not None and kind != "boolean":
        out.caption.insert(0, f"{_min_max(stats['min'], kind)} – {_min_max(stats['max'], kind)}")
    figures = [distinct_text(stats), f"{number(stats.get('nulls', 0))} empty"]
    out.caption.append(" · ".join(f for f in figures if f))
    out.bars = bars([(v.label, v.count) for v in out.values])
    return out


def _min_max(value: Any, kind: str) -> str:
    return number(value) if kind in ("integer", "float") else str(value)
