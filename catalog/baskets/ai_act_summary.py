"""A draft of the public summary of training content (AI Act, Regulation (EU) 2024/1689,
art. 53(1)(d)) for a basket, following the AI Office's template of 24 July 2025 section by
section.

The template's own text was not in the reference material at hand; the sections and
fields follow its published structure (1 general information: 1.1 provider, 1.2 model,
1.3 modalities, size and other characteristics; 2 list of data sources: 2.1 to 2.6; 3 data
processing aspects: 3.1 to 3.3) and its size bands per modality.

Every field says where its value comes from:

- ``records``: filled from the basket's dataset records (the ids are listed in ``sources``);
- ``basket``: what the developer stated in the basket (the model's name, modalities);
- ``provider``: the catalogue cannot know it: marked :data:`TO_COMPLETE`.

A field may carry both a value from the records and the provider's part (e.g. the size
band, which covers *all* the training data, not only the basket's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from catalog.baskets.answers import Answer
from catalog.baskets.gather import Item
from catalog.baskets.model import MODALITIES
from catalog.baskets.obligations import licence_label
from catalog.dataspaces import builtin_data_spaces

TO_COMPLETE = "To be completed by the provider."
TEMPLATE = "AI Office template for the public summary of training content (24 July 2025)"
REGULATION = "Regulation (EU) 2024/1689 (AI Act), art. 53(1)(d)"

#: The template's size bands per modality (section 1.3).
SIZE_BANDS: dict[str, tuple[str, ...]] = {
    "text": (
        "Less than 1 billion tokens",
        "1 billion to 10 trillion tokens",
        "More than 10 trillion tokens",
    ),
    "image": (
        "Less than 1 million images",
        "1 million to 1 billion images",
        "More than 1 billion images",
    ),
    "audio": (
        "Less than 10 000 hours",
        "10 000 to 1 million hours",
        "More than 1 million hours",
    ),
    "video": (
        "Less than 10 000 hours",
        "10 000 to 1 million hours",
        "More than 1 million hours",
    ),
}


@dataclass
class Field:
    key: str
    label: str
    value: str = ""
    origin: str = "provider"  # records | basket | provider
    sources: list[str] = field(default_factory=list)
    provider_part: str | None = TO_COMPLETE
    items: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "value": self.value,
            "origin": self.origin,
            "sources": self.sources,
            "items": self.items,
            "to_be_completed_by_provider": self.provider_part,
        }


@dataclass
class Section:
    number: str
    title: str
    fields: list[Field] = field(default_factory=list)
    subsections: list[Section] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "title": self.title,
            "fields": [f.to_dict() for f in self.fields],
            "subsections": [s.to_dict() for s in self.subsections],
        }

    def walk(self) -> list[Section]:
        return [self, *(x for s in self.subsections for x in s.walk())]


def _provider(key: str, label: str) -> Field:
    return Field(key, label)


def _from_records(
    key: str, label: str, value: str, sources: list[str], provider_part: str | None = None
) -> Field:
    return Field(key, label, value, "records" if sources else "provider", sources, provider_part)


# -- what the records say ---------------------------------------------------------------


def modalities_of(item: Item) -> dict[str, str]:
    """The template modalities a dataset's record shows, each with its evidence."""
    out: dict[str, str] = {}
    record = item.record
    if record is None:
        return out
    for dist in record.distribution:
        media = str(dist.media_type or dist.format or "")
        kind = media.rsplit("/media-types/", 1)[-1]
        top = kind.split("/", 1)[0]
        if top in ("image", "audio", "video"):
            out.setdefault(top, f"media type {kind}")
        elif kind in ("text/plain", "text/html", "application/xml", "application/tei+xml"):
            out.setdefault("text", f"media type {kind}")
        elif kind in ("text/csv", "text/tab-separated-values", "application/vnd.apache.parquet"):
            out.setdefault("other", f"tabular data (media type {kind})")
    words = " ".join(t for _, t in record.title.pairs()).lower()
    words += " " + " ".join(k for _, k in record.keyword.pairs()).lower()
    types = [t.rsplit("/", 1)[-1] for t in record.type]
    if "speech" in words or "audio" in words:
        out.setdefault("audio", "the record describes speech recordings")
    if any(t in ("corpus", "lexical-conceptual-resource") for t in types):
        out.setdefault("text", "language resource type " + ", ".join(types))
    if item.facts is not None and "earth-observation" in item.facts.space_ids:
        out.setdefault("image", "earth-observation imagery (data space)")
    if not out:
        out["other"] = "no media type or resource type names a modality"
    return out


def byte_size(item: Item) -> int | None:
    """The record's stated size: the sum of its distributions' ``dcat:byteSize``."""
    if item.record is None:
        return None
    sizes = []
    for dist in item.record.distribution:
        if dist.byte_size is not None and dist.byte_size.lexical.isdigit():
            sizes.append(int(dist.byte_size.lexical))
    return sum(sizes) if sizes else None


def _languages(items: list[Item]) -> tuple[str, list[str]]:
    codes: dict[str, list[str]] = {}
    for item in items:
        for lang in item.record.language if item.record else ():
            code = lang.rstrip("/").rsplit("/", 1)[-1]
            codes.setdefault(code, []).append(item.dataset_id)
    value = ", ".join(
        f"{c} ({len(ds)} dataset{'s' if len(ds) > 1 else ''})" for c, ds in sorted(codes.items())
    )
    return value, sorted({d for ds in codes.values() for d in ds})


def _period(items: list[Item]) -> tuple[str, str, list[str]]:
    starts, ends, sources = [], [], []
    for item in items:
        for period in item.record.temporal if item.record else ():
            start = period.start_date or period.schema_start_date
            end = period.end_date or period.schema_end_date
            if start is not None:
                starts.append(start.lexical[:10])
            if end is not None:
                ends.append(end.lexical[:10])
            if start is not None or end is not None:
                sources.append(item.dataset_id)
    if not sources:
        return "", "", []
    return (min(starts) if starts else "…"), (max(ends) if ends else "…"), sorted(set(sources))


def _space(space: str) -> str:
    known = builtin_data_spaces().get(space)
    return known.label("en") if known else space


def _dataset_entry(item: Item, answer: Answer) -> dict[str, str]:
    credit = next(c for c in answer.obligations.credits if c.dataset_id == item.dataset_id)
    spaces = ", ".join(_space(s) for s in item.facts.space_ids) if item.facts else ""
    return {
        "dataset": item.dataset_id,
        "name": item.title,
        "publisher": item.publisher or "",
        "licence": licence_label(item) or "not stated",
        "data_space": spaces,
        "link": credit.url,
    }


def _listing(key: str, label: str, items: list[Item], answer: Answer, part: str | None) -> Field:
    f = Field(key, label, origin="records" if items else "provider", provider_part=part)
    f.items = [_dataset_entry(i, answer) for i in items]
    f.sources = [i.dataset_id for i in items]
    f.value = (
        f"{len(items)} dataset{'s' if len(items) != 1 else ''} of the basket"
        if items
        else "none of the basket's datasets"
    )
    return f


# -- the document -----------------------------------------------------------------------


def summary(answer: Answer) -> list[Section]:
    """The draft summary's sections, in the template's order."""
    basket, items = answer.basket, answer.gathered.found()
    model = basket.model
    s1 = Section("1", "General information")
    s11 = Section("1.1", "Provider identification")
    if model.provider:
        s11.fields.append(
            Field(
                "provider", "Provider name and contact details", model.provider, "basket", [], None
            )
        )
    else:
        s11.fields.append(_provider("provider", "Provider name and contact details"))
    s11.fields.append(_provider("authorised_representative", "Authorised representative (if any)"))
    s12 = Section("1.2", "Model identification")
    name = " ".join(x for x in (model.name, model.version) if x)
    s12.fields.append(
        Field(
            "model_name",
            "Versioned model name(s)",
            name,
            "basket",
            [],
            None if model.name and model.version else TO_COMPLETE,
        )
    )
    s12.fields.append(
        _provider("model_dependencies", "Model(s) this model was modified or fine-tuned from")
    )
    s12.fields.append(
        _provider("placed_on_market", "Date of placement of the model on the Union market")
    )
    s13 = Section("1.3", "Modalities, overall training data size and other characteristics")
    found: dict[str, dict[str, str]] = {m: {} for m in MODALITIES}
    for item in items:
        for m, why in modalities_of(item).items():
            found[m][item.dataset_id] = why
    stated = set(model.modalities)
    present = [m for m in MODALITIES if m in stated or found[m]]
    s13.fields.append(
        Field(
            "modalities",
            "Modalities of the training data",
            ", ".join(present),
            "records" if any(found.values()) else ("basket" if stated else "provider"),
            sorted({d for m in MODALITIES for d in found[m]}),
            None if present else TO_COMPLETE,
        )
    )
    for m in MODALITIES:
        if m not in present:
            continue
        ds = sorted(found[m])
        sizes = [(d, byte_size(next(i for i in items if i.dataset_id == d))) for d in ds]
        known = [s for _, s in sizes if s is not None]
        part = TO_COMPLETE + (
            f" Choose one band: {'; '.join(SIZE_BANDS[m])}." if m in SIZE_BANDS else ""
        )
        if known:
            total = sum(known)
            text = f"{len(ds)} dataset(s) of the basket; stated size {total:,} bytes"
            if len(known) < len(ds):
                text += f" ({len(ds) - len(known)} without a stated size)"
            if m == "text" and len(known) == len(ds) and total < 10**9:
                text += "; under 1 billion tokens (a token covers at least one byte)"
        else:
            text = f"{len(ds)} dataset(s) of the basket; no size stated in the records"
        s13.fields.append(
            Field(
                f"size_{m}",
                f"Training data size: {m} (band)",
                text,
                "records" if ds else "provider",
                ds,
                part,
            )
        )
        kinds = sorted(set(found[m].values()))
        s13.fields.append(
            Field(
                f"content_{m}",
                f"Types of content: {m}",
                "; ".join(kinds),
                "records" if ds else "provider",
                ds,
                None if ds else TO_COMPLETE,
            )
        )
    start, end, psrc = _period(items)
    s13.fields.append(
        _from_records(
            "period",
            "Period of the data (temporal coverage stated by the records)",
            f"{start} to {end}" if psrc else "",
            psrc,
            None if psrc else TO_COMPLETE,
        )
    )
    s13.fields.append(
        Field(
            "latest_collection",
            "Latest date of data collection",
            f"the records' coverage ends {end}" if psrc else "",
            "records" if psrc else "provider",
            psrc,
            TO_COMPLETE,
        )
    )
    langs, lsrc = _languages(items)
    s13.fields.append(
        _from_records(
            "languages",
            "Linguistic characteristics (languages)",
            langs,
            lsrc,
            None if lsrc else TO_COMPLETE,
        )
    )
    spaces = sorted({_space(s) for i in items if i.facts for s in i.facts.space_ids})
    publishers = sorted({i.publisher for i in items if i.publisher})
    s13.fields.append(
        _from_records(
            "other_characteristics",
            "Other characteristics (data spaces, publishers)",
            ("data spaces: " + ", ".join(spaces) + "; publishers: " + ", ".join(publishers))
            if items
            else "",
            [i.dataset_id for i in items],
            None if items else TO_COMPLETE,
        )
    )
    s1.subsections = [s11, s12, s13]

    s2 = Section("2", "List of data sources")
    public = [i for i in items if i.facts and i.facts.access_level == "public"]
    private = [i for i in items if i.facts and i.facts.access_level != "public"]
    permits = [i for i in private if i.facts and i.facts.health_route]
    licensed = [i for i in private if i not in permits]
    synthetic = [
        i for i in items if i.record and any(t.endswith("SYNTHETIC_DATA") for t in i.record.type)
    ]
    s21 = Section("2.1", "Publicly available datasets")
    s21.fields.append(
        _listing(
            "public_datasets",
            "Publicly available datasets used",
            public,
            answer,
            "To be completed by the provider for any publicly available dataset not in the basket.",
        )
    )
    s22 = Section("2.2", "Private non-publicly available datasets obtained from third parties")
    s221 = Section("2.2.1", "Datasets licensed from rightholders or their representatives")
    s221.fields.append(
        _listing(
            "licensed_datasets",
            "Datasets obtained under a licence or agreement",
            licensed,
            answer,
            "To be completed by the provider for other licensed datasets.",
        )
    )
    s222 = Section("2.2.2", "Private datasets obtained from other third parties")
    s222.fields.append(
        _listing(
            "other_private_datasets",
            "Datasets obtained under a data permit (health data access body)",
            permits,
            answer,
            "To be completed by the provider for other private datasets.",
        )
    )
    s22.subsections = [s221, s222]
    s23 = Section("2.3", "Data crawled and scraped from online sources")
    s23.fields += [
        _provider("crawlers", "Crawlers used, their purpose and behaviour"),
        _provider("crawl_period", "Period of collection"),
        _provider("crawl_content", "Type of content and main domain names"),
    ]
    s24 = Section("2.4", "User data")
    s24.fields.append(_provider("user_data", "Data from users of the provider's services"))
    s25 = Section("2.5", "Synthetic data")
    s25.fields.append(
        _listing(
            "synthetic_datasets",
            "Synthetic datasets in the basket",
            synthetic,
            answer,
            "To be completed by the provider for synthetic data it generated "
            "(and the models used).",
        )
    )
    s26 = Section("2.6", "Other sources of data")
    s26.fields.append(_provider("other_sources", "Other sources"))
    s2.subsections = [s21, s22, s23, s24, s25, s26]

    s3 = Section("3", "Data processing aspects")
    s31 = Section(
        "3.1",
        "Respect of reservation of rights from the text and data mining exception or limitation",
    )
    reserved = [c for c in answer.conflicts.items if c.kind == "tdm-reservation"]
    rsrc = sorted({d for c in reserved for d in c.datasets})
    s31.fields.append(
        Field(
            "tdm_reservations",
            "Reservations of rights stated by the basket's records",
            "; ".join(c.text for c in reserved)
            if reserved
            else f"none of the basket's {len(items)} records states a reservation of text and "
            "data mining",
            "records",
            rsrc or [i.dataset_id for i in items],
            None,
        )
    )
    s31.fields.append(
        _provider("tdm_measures", "Measures taken to identify and respect reservations")
    )
    s32 = Section("3.2", "Removal of illegal content")
    s32.fields.append(_provider("illegal_content", "Measures taken to remove illegal content"))
    s33 = Section("3.3", "Other information")
    spe = [p for p in answer.obligations.place]
    s33.fields.append(
        Field(
            "processing_conditions",
            "Conditions of processing stated by the terms",
            "; ".join(f"{p['dataset']}: {p['text']}" for p in spe),
            "records" if spe else "provider",
            sorted({p["dataset"] for p in spe}),
            None if spe else "Optional; to be completed by the provider.",
        )
    )
    s3.subsections = [s31, s32, s33]
    return [s1, s2, s3]


def summary_document(answer: Answer) -> dict[str, Any]:
    """The summary as JSON: the template, the basket and every section in order."""
    return {
        "title": "Public summary of training content (draft)",
        "regulation": REGULATION,
        "template": TEMPLATE,
        "basket": answer.basket.id,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "note": "Fields with origin 'records' are filled from the catalogue's records of the "
        "basket's datasets (listed in 'sources'); fields marked to be completed by the "
        "provider cannot be known by the catalogue.",
        "sections": [s.to_dict() for s in summary(answer)],
    }


__all__ = ["SIZE_BANDS", "TO_COMPLETE", "Field", "Section", "summary", "summary_document"]
