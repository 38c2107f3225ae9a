"""How long a string, and how long a list, the catalogue stores from a request.

Every string a caller can make the catalogue keep (a lab's name and fees, a procedure step,
an access-request comment, a user's organisation) passes one of these checks first, so a
1 MB "name" is a clear 400 naming the field, never a stored record that every later page
carries. Build the limits from the settings (``FieldLimits.from_settings``); the defaults
equal the settings' defaults for callers that have no settings at hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from catalog.errors import InvalidInput
from catalog.settings import Settings


@dataclass(frozen=True)
class FieldLimits:
    """``Settings.max_name_chars``, ``max_field_chars`` and ``max_list_items``."""

    name_chars: int = 200
    text_chars: int = 4000
    list_items: int = 100

    @classmethod
    def from_settings(cls, settings: Settings) -> FieldLimits:
        return cls(settings.max_name_chars, settings.max_field_chars, settings.max_list_items)

    def name(self, value: object, where: str) -> str:
        """A name, label or id-like string of at most ``name_chars`` characters."""
        return _bounded(value, where, self.name_chars, "DATALAB_MAX_NAME_CHARS")

    def text(self, value: object, where: str) -> str:
        """Free text of at most ``text_chars`` characters."""
        return _bounded(value, where, self.text_chars, "DATALAB_MAX_FIELD_CHARS")

    def items(self, values: object, where: str) -> list[Any]:
        """A list (or tuple) of at most ``list_items`` items."""
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
            raise InvalidInput(f"{where} must be a list", where=where)
        if len(values) > self.list_items:
            raise InvalidInput(
                f"{where} has {len(values)} items; at most {self.list_items} are accepted "
                "(DATALAB_MAX_LIST_ITEMS)",
                where=where,
                details={"limit": self.list_items, "items": len(values)},
            )
        return list(values)


def _bounded(value: object, where: str, limit: int, setting: str) -> str:
    text = str(value)
    if len(text) > limit:
        raise InvalidInput(
            f"{where} is {len(text)} characters long; at most {limit} are accepted ({setting})",
            where=where,
            details={"limit": limit, "length": len(text)},
        )
    return text
