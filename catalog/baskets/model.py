"""A training basket: the datasets a developer means to train one model on, who they are
(organisation type, country, purpose) and the model (name, modalities, general-purpose).

The basket holds only what the developer stated. Every answer about it (labs, duties,
conflicts, lead time, the AI Act summary) is computed on read from the current offers
(:mod:`catalog.baskets.answers`), so a changed dataset, lab or licence mapping shows at once.

Who may use a basket (:meth:`Basket.readable_by`):

- a basket created by a signed-in user (Bearer token, or a web session) is theirs: anyone
  else gets 403 (admins too: a basket is a developer's working notes, not a record);
- a basket created anonymously has no owner: its id (128 random bits) is its capability,
  and whoever holds the id may read and change it. The web pages also remember an
  anonymous browser's baskets by a random key in a cookie (``holder``, stored as its
  SHA-256), to list them under "My baskets". Filing access requests needs a signed-in
  user; doing so from an anonymous basket makes the basket that user's (the requests are
  personal, so their states must not be readable by whoever else holds the id).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from catalog.errors import InvalidField
from catalog.offers.profiles import RequesterProfile

#: The modalities of the AI Office's template (section 1.3), in its order.
MODALITIES = ("text", "image", "audio", "video", "other")
#: Bounds that keep every answer cheap (the lab cover is exact below them; see cover.py).
MAX_DATASETS = 100
MAX_NAME = 200


@dataclass(frozen=True)
class ModelSpec:
    """The model the developer intends to train."""

    name: str = ""
    version: str = ""
    modalities: tuple[str, ...] = ()
    general_purpose: bool = False
    provider: str = ""

    @classmethod
    def parse(cls, data: dict[str, Any] | None) -> ModelSpec:
        data = data or {}
        modalities = tuple(str(m).strip().lower() for m in data.get("modalities") or ())
        for i, m in enumerate(modalities):
            if m not in MODALITIES:
                raise InvalidField(
                    f"unknown modality {m!r}; known: {', '.join(MODALITIES)}",
                    where=f"model.modalities[{i}]",
                )
        return cls(
            name=_text(data.get("name"), "model.name"),
            version=_text(data.get("version"), "model.version"),
            modalities=tuple(dict.fromkeys(modalities)),
            general_purpose=bool(data.get("general_purpose")),
            provider=_text(data.get("provider"), "model.provider"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "modalities": list(self.modalities),
            "general_purpose": self.general_purpose,
            "provider": self.provider,
        }


def _text(value: object, where: str, limit: int = MAX_NAME) -> str:
    text = str(value or "").strip()
    if len(text) > limit:
        raise InvalidField(f"{where} is longer than {limit} characters", where=where)
    if "\x00" in text:
        raise InvalidField(f"{where} must not contain NUL characters", where=where)
    return text


def parse_profile(data: dict[str, Any] | None) -> RequesterProfile | None:
    """The developer's profile, with each field named when it is wrong (422)."""
    data = data or {}
    values = {k: str(data.get(k) or "").strip() or None for k in ("org_type", "country", "purpose")}
    try:
        return RequesterProfile.parse(**values)
    except InvalidField:
        raise
    except Exception as exc:  # InvalidInput from the parsers: same message, 422, the field
        where = getattr(exc, "where", None) or "profile"
        message = getattr(exc, "message", str(exc))
        raise InvalidField(message, where=f"profile.{where}") from None


def profile_dict(profile: RequesterProfile | None) -> dict[str, str | None]:
    if profile is None:
        return {"org_type": None, "country": None, "purpose": None}
    return profile.to_dict()


def basket_name(value: object) -> str:
    name = _text(value, "name")
    return name or "My training basket"


def dataset_list(values: object, where: str = "datasets") -> list[str]:
    """Dataset ids as stated (deduplicated, order kept), bounded."""
    if values is None:
        return []
    if not isinstance(values, list | tuple):
        raise InvalidField("a list of dataset ids is expected", where=where)
    out: list[str] = []
    for i, v in enumerate(values):
        if not isinstance(v, str) or not v.strip() or len(v) > 500:
            raise InvalidField("a dataset id is a non-empty string", where=f"{where}[{i}]")
        if v.strip() not in out:
            out.append(v.strip())
    if len(out) > MAX_DATASETS:
        raise InvalidField(f"a basket holds at most {MAX_DATASETS} datasets", where=where)
    return out


@dataclass
class Basket:
    """One stored basket (see the module for who may use it)."""

    id: str
    name: str
    owner: str | None
    datasets: list[str]
    profile: RequesterProfile | None
    model: ModelSpec
    created: str
    updated: str
    version: int = 1
    holder: str | None = None
    #: The snapshot of the answer the owner last looked at (see catalog.baskets.changes).
    seen: dict[str, Any] | None = None
    #: Access requests filed from this basket: (request id, dataset id, lab id).
    requests: list[tuple[str, str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "owner": self.owner,
            "datasets": list(self.datasets),
            "profile": profile_dict(self.profile),
            "model": self.model.to_dict(),
            "created": self.created,
            "updated": self.updated,
        }


__all__ = [
    "MAX_DATASETS",
    "MODALITIES",
    "Basket",
    "ModelSpec",
    "basket_name",
    "dataset_list",
    "parse_profile",
    "profile_dict",
]
