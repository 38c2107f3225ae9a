"""Generate docs/settings.md from :class:`catalog.settings.Settings`.

Run ``python -m catalog.settings_doc`` after adding a setting; a test checks the page is
current and that every setting has a description.
"""

from __future__ import annotations

import sys
from pathlib import Path

from catalog.settings import Settings

DOC = Path(__file__).resolve().parent.parent / "docs" / "settings.md"


def render() -> str:
    lines = [
        "# Settings reference",
        "",
        "Generated from `catalog/settings.py` by `python -m catalog.settings_doc`. Every setting",
        "is read from the environment variable shown (prefix `DATALAB_`).",
        "",
        "| variable | default | description |",
        "|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True, validated_data={})
        shown = "" if default in (None, "") else f"`{default}`"
        description = (field.description or "").replace("|", "\\|")
        lines.append(f"| `DATALAB_{name.upper()}` | {shown} | {description} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(render(), encoding="utf-8")
    sys.stderr.write(f"wrote {DOC}\n")


if __name__ == "__main__":
    main()
