"""Column statistics as small bar charts: geometry here, SVG markup in the template."""

from __future__ import annotations

from typing import Any

WIDTH, HEIGHT = 160, 40


def bars(counts: list[tuple[str, int]]) -> dict[str, Any]:
    """Bars for ``(label, count)`` pairs, scaled into a WIDTH × HEIGHT box."""
    if not counts:
        return {"width": WIDTH, "height": HEIGHT, "bars": []}
    top = max(n for _, n in counts) or 1
    step = WIDTH / len(counts)
    out = []
    for i, (label, n) in enumerate(counts):
        h = round(HEIGHT * n / top, 1)
        out.append(
            {
                "x": round(i * step, 1),
                "y": round(HEIGHT - h, 1),
                "w": round(max(step - 1, 1), 1),
                "h": h,
                "title": f"{label}: {n}",
            }
        )
    return {"width": WIDTH, "height": HEIGHT, "bars": out}


def _num(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def column_chart(stats: dict[str, Any]) -> dict[str, Any] | None:
    """A histogram (numbers, dates, text lengths) or top values (text) for one column."""
    hist = stats.get("histogram") or (stats.get("lengths") or {}).get("histogram")
    if stats.get("top_values"):
        return bars([(str(t["value"]), int(t["count"])) for t in stats["top_values"]])
    if hist:
        return bars([(f"{_num(b['from'])}–{_num(b['to'])}", int(b["count"])) for b in hist])
    return None
