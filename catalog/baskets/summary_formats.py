"""The AI Act summary as Markdown and as PDF, both written from its JSON document.

The PDF is drawn with fpdf2 in DejaVu Sans when the system has it (any language's
letters); without it, in the PDF core font with every letter transliterated to ASCII
(``anyascii``), which the core fonts can show.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from anyascii import anyascii

_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def _md_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_").replace("#", "\\#")


def _field_lines(f: dict[str, Any]) -> list[str]:
    lines = []
    value = _md_escape(f["value"]) if f["value"] else ""
    if value:
        origin = {"records": "from the records", "basket": "from the basket"}.get(f["origin"], "")
        src = f" of {', '.join(f['sources'])}" if f["sources"] and f["origin"] == "records" else ""
        said = f" _({origin}{src})_" if origin else ""
        lines.append(f"- **{f['label']}**: {value}{said}")
    else:
        lines.append(f"- **{f['label']}**: _{f['to_be_completed_by_provider']}_")
    for entry in f["items"]:
        lines.append(
            f"  - {_md_escape(entry['name'])}: {_md_escape(entry['publisher'])}; "
            f"licence {_md_escape(entry['licence'])}; "
            f"data space {_md_escape(entry['data_space'])}; "
            f"<{entry['link']}> _(record {entry['dataset']})_"
        )
    if value and f["to_be_completed_by_provider"]:
        lines.append(f"  - _{f['to_be_completed_by_provider']}_")
    return lines


def _md_section(s: dict[str, Any], depth: int, out: list[str]) -> None:
    out.append(f"{'#' * depth} {s['number']}. {s['title']}")
    out.append("")
    for f in s["fields"]:
        out.extend(_field_lines(f))
    if s["fields"]:
        out.append("")
    for sub in s["subsections"]:
        _md_section(sub, min(depth + 1, 6), out)


def to_markdown(doc: dict[str, Any]) -> str:
    out = [
        f"# {doc['title']}",
        "",
        f"Drafted under {doc['regulation']}, following the {doc['template']}, for training "
        f"basket `{doc['basket']}` on {doc['generated']}.",
        "",
        f"> {doc['note']}",
        "",
    ]
    for s in doc["sections"]:
        _md_section(s, 2, out)
    return "\n".join(out).rstrip() + "\n"


def to_pdf(doc: dict[str, Any]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    unicode_font = _FONT.exists() and _BOLD.exists()
    if unicode_font:
        pdf.add_font("DejaVu", "", str(_FONT))
        pdf.add_font("DejaVu", "B", str(_BOLD))
        family = "DejaVu"
    else:
        family = "Helvetica"

    def text(value: str) -> str:
        return value if unicode_font else anyascii(value)

    pdf.set_title(text(doc["title"]))
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def para(value: str, size: float = 10, style: str = "") -> None:
        pdf.set_font(family, style, size)
        pdf.set_x(pdf.l_margin)
        pdf.multi_cell(width, size * 0.5, text(value))

    para(doc["title"], 16, "B")
    para(f"{doc['regulation']}; {doc['template']}; basket {doc['basket']}; {doc['generated']}", 9)
    para(doc["note"], 9)

    def section(s: dict[str, Any], level: int) -> None:
        pdf.ln(2)
        para(f"{s['number']}. {s['title']}", 14 - 2 * min(level, 2), "B")
        for f in s["fields"]:
            value = f["value"] or f["to_be_completed_by_provider"]
            origin = {"records": " (from the records)", "basket": " (from the basket)"}.get(
                f["origin"], ""
            )
            para(f"{f['label']}: {value}{origin if f['value'] else ''}")
            for entry in f["items"]:
                para(
                    f"  - {entry['name']}: {entry['publisher']}; licence {entry['licence']}; "
                    f"{entry['link']}",
                    9,
                )
            if f["value"] and f["to_be_completed_by_provider"]:
                para(f"  {f['to_be_completed_by_provider']}", 9)
        for sub in s["subsections"]:
            section(sub, level + 1)

    for s in doc["sections"]:
        section(s, 0)
    return bytes(pdf.output())


__all__ = ["to_markdown", "to_pdf"]
