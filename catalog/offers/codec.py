"""Stored offers' values as bytes: the catalogue's own frozen dataclasses, pickled, and read
back only through an allow-list of classes.

Offer resolution works on :class:`~catalog.facts.DatasetFacts` (with ODRL policies whose
constraint operands may be dates, decimals or numbers), :class:`~catalog.labs.DataLab` and
:class:`~catalog.offers.resolution.Offer`; pickling keeps every value exactly as resolution
made it, so an answer read from the table equals one resolved directly. Bytes come from
the operational database, which only the catalogue writes; still, :func:`loads` refuses any
class outside :data:`ALLOWED` (no arbitrary code runs on reading), with
:class:`~catalog.errors.StoreError`.
"""

from __future__ import annotations

import hashlib
import io
import pickle
from typing import Any

from catalog.errors import StoreError
from catalog.facts.model import TermsSignature

#: Modules whose classes stored values may hold (every class of these modules is data).
ALLOWED_MODULES = frozenset(
    {
        "catalog.facts.model",
        "catalog.offers.odrl",
        "catalog.offers.resolution",
        "catalog.offers.rules.state",
        "catalog.labs.model",
    }
)
#: Standard classes stored values may hold.
ALLOWED = frozenset(
    {
        ("builtins", "frozenset"),
        ("builtins", "set"),
        ("builtins", "tuple"),
        ("builtins", "list"),
        ("builtins", "dict"),
        ("datetime", "datetime"),
        ("datetime", "date"),
        ("datetime", "time"),
        ("datetime", "timedelta"),
        ("datetime", "timezone"),
        ("decimal", "Decimal"),
        ("copyreg", "_reconstructor"),
        ("builtins", "object"),
    }
)


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module in ALLOWED_MODULES or (module, name) in ALLOWED:
            return super().find_class(module, name)
        raise StoreError(f"stored offers hold a value of a class not allowed: {module}.{name}")


def dumps(value: object) -> bytes:
    """``value`` as bytes (see :func:`loads`)."""
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def loads(data: bytes) -> Any:
    """A value :func:`dumps` made; refuses classes outside the allow-list."""
    try:
        return _Unpickler(io.BytesIO(data)).load()
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
        raise StoreError(f"stored offers hold an unreadable value: {exc}") from exc


def signature_key(signature: TermsSignature) -> str:
    """A stable key of a terms signature, the same in every process (its ``repr`` holds
    only tuples, strings, numbers and frozen dataclasses, printed in order)."""
    return hashlib.sha256(repr(signature).encode()).hexdigest()


__all__ = ["dumps", "loads", "signature_key"]
