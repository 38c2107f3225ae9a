"""What to ship with the model: one attribution file (Markdown) for the whole basket.

One credit line per dataset (publisher, title, year, licence, address: see
:mod:`catalog.baskets.obligations`), then the duties the datasets' terms impose and the
share-alike licences the model's adaptations must honour.
"""

from __future__ import annotations

from catalog.baskets.answers import Answer


def attributions(answer: Answer) -> str:
    owed = answer.obligations
    lines = [
        f"# Attributions: {answer.basket.name}",
        "",
        "This model was trained on the following datasets, used under the terms stated.",
        "",
    ]
    for c in owed.credits:
        lines.append(f"- {c.line}")
    missing = [i.dataset_id for i in answer.gathered.items if i.missing]
    if missing:
        lines += ["", "Datasets no longer in the catalogue (credit them as you received them):"]
        lines += [f"- {d}" for d in missing]
    if owed.duties:
        lines += ["", "## Duties under the datasets' terms", ""]
        for duty, ds in sorted(owed.duties.items()):
            lines.append(f"- {duty}: {', '.join(ds)}")
    if owed.share_alike:
        lines += ["", "## Share-alike", ""]
        for key, ds in sorted(owed.share_alike.items()):
            lines.append(f"- {key}: {', '.join(ds)}")
    return "\n".join(lines) + "\n"


__all__ = ["attributions"]
