"""One Croissant description (MLCommons Croissant, the JSON-LD context and version the
per-dataset export uses: :mod:`catalog.federation.croissant`) for the whole basket.

The basket is a ``sc:Dataset`` whose ``isBasedOn`` lists every dataset, each with its
address, licence and ``creditText`` (the exact credit line), so a training pipeline that
reads Croissant carries the attributions along. No rows, no sample files: those stay behind
each dataset's own gate.
"""

from __future__ import annotations

from typing import Any

from catalog.baskets.answers import Answer
from catalog.federation.croissant import CONFORMS_TO, CONTEXT


def basket_croissant(answer: Answer, url: str) -> dict[str, Any]:
    credits = {c.dataset_id: c for c in answer.obligations.credits}
    parts: list[dict[str, Any]] = []
    for item in answer.gathered.found():
        credit = credits[item.dataset_id]
        part: dict[str, Any] = {
            # a CreativeWork (schema.org's range of isBasedOn, and a Dataset's parent
            # class): a second sc:Dataset node would be read as the description itself
            "@type": "sc:CreativeWork",
            "additionalType": "https://schema.org/Dataset",
            "@id": item.facts.iri if item.facts else credit.url,
            "name": item.title,
            "url": credit.url,
            "creditText": credit.line,
        }
        if item.facts is not None and item.facts.licences:
            part["license"] = sorted(item.facts.licences)
        if credit.publisher:
            part["publisher"] = {"@type": "sc:Organization", "name": credit.publisher}
        parts.append(part)
    licences = sorted({lic for p in parts for lic in p.get("license", [])})
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": answer.basket.name,
        "description": f"Training basket of {len(parts)} datasets; each one's licence and "
        "credit line are in isBasedOn.",
        "url": url,
        "license": licences,
        "creditText": "\n".join(c.line for c in answer.obligations.credits),
        "citeAs": "\n".join(c.line for c in answer.obligations.credits),
        "datePublished": answer.basket.updated[:10],
        "version": f"{answer.basket.version}.0.0",  # each change of the basket is a version
        "isBasedOn": parts,
        "distribution": [],
    }


__all__ = ["basket_croissant"]
