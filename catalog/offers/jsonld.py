"""An offer as an ODRL JSON-LD ``Offer`` (assigner: the lab), usable in the Dataspace Protocol.

The context is inline (never fetched): ODRL terms, plus the project namespace for the
actions ODRL has no term for (text-and-data mining, AI training) and the access mode.
"""

from __future__ import annotations

from typing import Any

from catalog.namespaces import DLAB, DPV, ODRL
from catalog.offers.resolution import CONDITIONS, MAY_OFFER, Offer

CONTEXT: dict[str, Any] = {
    "odrl": str(ODRL),
    "dlab": str(DLAB),
    "dpv": str(DPV),
    "cc": "http://creativecommons.org/ns#",
    "Offer": "odrl:Offer",
    "uid": {"@id": "odrl:uid", "@type": "@id"},
    "target": {"@id": "odrl:target", "@type": "@id"},
    "assigner": {"@id": "odrl:assigner", "@type": "@id"},
    "permission": {"@id": "odrl:permission", "@container": "@set"},
    "prohibition": {"@id": "odrl:prohibition", "@container": "@set"},
    "duty": {"@id": "odrl:duty", "@container": "@set"},
    "obligation": {"@id": "odrl:obligation", "@container": "@set"},
    "action": {"@id": "odrl:action", "@type": "@vocab"},
    "constraint": {"@id": "odrl:constraint", "@container": "@set"},
    "leftOperand": {"@id": "odrl:leftOperand", "@type": "@vocab"},
    "operator": {"@id": "odrl:operator", "@type": "@vocab"},
    "rightOperand": "odrl:rightOperand",
    "use": "odrl:use",
    "distribute": "odrl:distribute",
    "derive": "odrl:derive",
    "attribute": "odrl:attribute",
    "compensate": "odrl:compensate",
    "purpose": "odrl:purpose",
    "eq": "odrl:eq",
    "neq": "odrl:neq",
    "accessMode": {"@id": "dlab:accessMode", "@type": "@vocab"},
}
_USE_ACTION = {
    "distribution": "distribute",
    "derivatives": "derive",
    "tdm": "dlab:textAndDataMining",
    "ai-training": "dlab:aiTraining",
}
_DUTY_ACTION = {
    "attribution": "attribute",
    "attribute": "attribute",
    "share-alike": "cc:ShareAlike",
    "notice": "cc:Notice",
    "non-commercial": "cc:NonCommercialUse",
    "compensate": "compensate",
}


def offer_to_odrl(offer: Offer, dataset_iri: str) -> dict[str, Any]:
    """The ODRL Offer for one resolved offer; an empty Offer (no permission) if it may not."""
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "Offer",
        "uid": f"{offer.lab.iri}/offers/{offer.dataset}",
        "target": dataset_iri,
        "assigner": offer.lab.iri,
        "permission": [],
        "prohibition": [],
    }
    if offer.verdict not in (MAY_OFFER, CONDITIONS):
        return doc
    duties = [{"action": _DUTY_ACTION.get(d, f"dlab:{d}")} for d in offer.duties]
    use: dict[str, Any] = {"action": "use", "accessMode": f"dlab:{offer.access_mode}"}
    if duties:
        use["duty"] = duties
    if offer.constraints:
        use["dlab:constraintText"] = offer.constraints
    constraints = [c.to_jsonld() for c in offer.requester_constraints]
    if "commercial" not in offer.permissions:
        constraints.append(
            {
                "leftOperand": "purpose",
                "operator": "neq",
                "rightOperand": {"@id": str(DPV.CommercialPurpose)},
            }
        )
    if constraints:
        use["constraint"] = constraints
    doc["permission"].append(use)
    for p in offer.permissions:
        if p in _USE_ACTION:
            rule: dict[str, Any] = {"action": _USE_ACTION[p]}
            if duties:
                rule["duty"] = duties
            doc["permission"].append(rule)
    for p in offer.prohibitions:
        if p == "commercial":
            doc["prohibition"].append(
                {
                    "action": "use",
                    "constraint": [
                        {
                            "leftOperand": "purpose",
                            "operator": "eq",
                            "rightOperand": {"@id": str(DPV.CommercialPurpose)},
                        }
                    ],
                }
            )
        elif p in _USE_ACTION:
            doc["prohibition"].append({"action": _USE_ACTION[p]})
    return doc
