"""The Dataspace Protocol 2025-1 JSON schemas, read from the corpus, for validating messages.

Every schema of ``../shared/corpus/dataspace-protocol/2025-1/{common,negotiation,transfer}/``
and of ``…/dataspace-protocol/schema/`` (catalogue, dataset, contract) goes into one
``referencing`` registry, so a ``$ref`` between them never fetches anything. One typo of the
published schemas is read as what it means: the transfer error, suspension and termination
schemas ``$ref`` ``transfer-schema.json#definitions/…``, a JSON pointer without its leading
``/``, which a validator takes for an (absent) anchor; the registry holds them with the
``#/definitions/…`` they point at. The files themselves are never copied or changed.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource

#: Message ``@type`` → the spec's schema file (the two ACK objects and errors included).
SCHEMA_OF = {
    "Catalog": "catalog-schema.json",
    "Dataset": "dataset-schema.json",
    "CatalogRequestMessage": None,  # the catalogue protocol's schemas are not in the corpus
    "ContractRequestMessage": "contract-request-message-schema.json",
    "ContractOfferMessage": "contract-offer-message-schema.json",
    "ContractAgreementMessage": "contract-agreement-message-schema.json",
    "ContractAgreementVerificationMessage": "contract-agreement-verification-message-schema.json",
    "ContractNegotiationEventMessage": "contract-negotiation-event-message-schema.json",
    "ContractNegotiationTerminationMessage": "contract-negotiation-termination-message-schema.json",
    "ContractNegotiation": "contract-negotiation-schema.json",
    "ContractNegotiationError": "contract-negotiation-error-schema.json",
    "TransferRequestMessage": "transfer-request-message-schema.json",
    "TransferStartMessage": "transfer-start-message-schema.json",
    "TransferCompletionMessage": "transfer-completion-message-schema.json",
    "TransferSuspensionMessage": "transfer-suspension-message-schema.json",
    "TransferTerminationMessage": "transfer-termination-message-schema.json",
    "TransferProcess": "transfer-process-schema.json",
    "TransferError": "transfer-error-schema.json",
}


def _fix_refs(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _fix_refs(v) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and "#definitions/" in ref:
            out["$ref"] = ref.replace("#definitions/", "#/definitions/")
        return out
    if isinstance(node, list):
        return [_fix_refs(v) for v in node]
    return node


class DspSchemas:
    """The spec's schemas by file name, with one validator per message type."""

    def __init__(self, corpus: Path) -> None:
        root = corpus / "dataspace-protocol"
        files = sorted((root / "2025-1").glob("*/*-schema.json"))
        files += sorted((root / "schema").glob("*.json"))
        self.schemas: dict[str, dict[str, Any]] = {}
        resources = {}
        for path in files:
            doc = _fix_refs(json.loads(path.read_text("utf-8")))
            self.schemas.setdefault(path.name, doc)
            resources.setdefault(doc["$id"], Resource.from_contents(doc))
        self.registry = Registry().with_resources(resources.items())

    def validator(self, name: str) -> jsonschema.Draft201909Validator:
        return jsonschema.Draft201909Validator(self.schemas[name], registry=self.registry)

    def errors(self, doc: Any, name: str | None = None) -> list[str]:
        """What is wrong with ``doc`` by the schema ``name`` (default: by its ``@type``)."""
        if name is None:
            kind = doc.get("@type") if isinstance(doc, dict) else None
            name = SCHEMA_OF.get(str(kind))
            if name is None:
                return [f"no schema for @type {kind!r}"]
        found = self.validator(name).iter_errors(doc)
        return [f"{list(e.absolute_path)}: {e.message}" for e in found]

    def check(self, doc: Any, name: str | None = None) -> Any:
        """``doc`` if it is valid, else an AssertionError naming every problem."""
        problems = self.errors(doc, name)
        assert not problems, (doc.get("@type") if isinstance(doc, dict) else doc, problems)
        return doc


@cache
def dsp_schemas(corpus: Path) -> DspSchemas:
    return DspSchemas(corpus)
