"""The licence mapping table: what each licence permits, requires and prohibits.

Keys are licence IRIs of the EU licence vocabulary (Publications Office authority table)
and SPDX (``http://spdx.org/licenses/<id>``), plus the common Creative Commons and Open
Data Commons URLs. Each entry says, for the uses that matter to AI developers, whether the
licence permits, requires or prohibits them. A licence not in the table is *unknown*: the
resolver answers ``needs_review`` for it, never ``may_offer``.

``ai-training`` and ``tdm`` for open licences rest on the EU DSM Directive's text-and-data-
mining exception (art. 4), which open licences do not restrict; a declared rights
reservation (art. 4(3)) is handled by the resolver, not here. No-derivatives licences leave
AI training unsettled, so it is neither permitted nor prohibited: the resolver asks for review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from catalog.namespaces import EU_LICENCE

#: The uses a licence is mapped on.
USES = ("commercial", "derivatives", "distribution", "tdm", "ai-training")
#: The duties a licence may impose.
DUTIES = ("attribution", "share-alike", "notice", "non-commercial")


@dataclass(frozen=True)
class LicenceTerms:
    """What one licence permits, requires and prohibits."""

    key: str
    label: str
    permits: frozenset[str]
    requires: frozenset[str] = frozenset()
    prohibits: frozenset[str] = frozenset()
    open: bool = True
    aliases: tuple[str, ...] = field(default=(), compare=False)

    def to_dict(self) -> dict[str, object]:
        return {
            "licence": self.key,
            "label": self.label,
            "permits": sorted(self.permits),
            "requires": sorted(self.requires),
            "prohibits": sorted(self.prohibits),
        }


_ALL = frozenset(USES)
_NC = frozenset({"derivatives", "distribution", "tdm", "ai-training"})
_ND = frozenset({"commercial", "distribution", "tdm"})
_NCND = frozenset({"distribution", "tdm"})


def _t(
    key: str,
    label: str,
    permits: frozenset[str],
    requires: set[str] | None = None,
    prohibits: set[str] | None = None,
    aliases: tuple[str, ...] = (),
) -> LicenceTerms:
    return LicenceTerms(
        key, label, permits, frozenset(requires or ()), frozenset(prohibits or ()), aliases=aliases
    )


def _cc(code: str, version: str) -> tuple[str, ...]:
    path = code.lower().replace("_", "-")
    return (f"creativecommons.org/licenses/{path}/{version}",)


TABLE: tuple[LicenceTerms, ...] = (
    _t(
        "CC0-1.0",
        "CC0 1.0",
        _ALL,
        aliases=("EU:CC0", "creativecommons.org/publicdomain/zero/1.0", "licensedb.org/id/CC0"),
    ),
    _t(
        "PDDL-1.0",
        "ODC Public Domain Dedication",
        _ALL,
        aliases=("EU:ODC_PDDL", "opendatacommons.org/licenses/pddl/1.0"),
    ),
    _t(
        "CC-BY-4.0", "CC BY 4.0", _ALL, {"attribution"}, aliases=("EU:CC_BY_4_0", *_cc("by", "4.0"))
    ),
    _t(
        "CC-BY-3.0", "CC BY 3.0", _ALL, {"attribution"}, aliases=("EU:CC_BY_3_0", *_cc("by", "3.0"))
    ),
    _t(
        "CC-BY-SA-4.0",
        "CC BY-SA 4.0",
        _ALL,
        {"attribution", "share-alike"},
        aliases=("EU:CC_BYSA_4_0", *_cc("by-sa", "4.0")),
    ),
    _t(
        "CC-BY-SA-3.0",
        "CC BY-SA 3.0",
        _ALL,
        {"attribution", "share-alike"},
        aliases=("EU:CC_BYSA_3_0", *_cc("by-sa", "3.0")),
    ),
    _t(
        "CC-BY-NC-4.0",
        "CC BY-NC 4.0",
        _NC,
        {"attribution"},
        {"commercial"},
        aliases=("EU:CC_BYNC_4_0", *_cc("by-nc", "4.0")),
    ),
    _t(
        "CC-BY-NC-SA-4.0",
        "CC BY-NC-SA 4.0",
        _NC,
        {"attribution", "share-alike"},
        {"commercial"},
        aliases=("EU:CC_BYNCSA_4_0", *_cc("by-nc-sa", "4.0")),
    ),
    _t(
        "CC-BY-ND-4.0",
        "CC BY-ND 4.0",
        _ND,
        {"attribution"},
        {"derivatives"},
        aliases=("EU:CC_BYND_4_0", *_cc("by-nd", "4.0")),
    ),
    _t(
        "CC-BY-NC-ND-4.0",
        "CC BY-NC-ND 4.0",
        _NCND,
        {"attribution"},
        {"commercial", "derivatives"},
        aliases=("EU:CC_BYNCND_4_0", *_cc("by-nc-nd", "4.0")),
    ),
    _t(
        "CC-BY-NC-ND-3.0",
        "CC BY-NC-ND 3.0",
        _NCND,
        {"attribution"},
        {"commercial", "derivatives"},
        aliases=("EU:CC_BYNCND_3_0", *_cc("by-nc-nd", "3.0")),
    ),
    _t(
        "ODbL-1.0",
        "ODC Open Database License 1.0",
        _ALL,
        {"attribution", "share-alike"},
        aliases=("EU:ODC_BL", "opendatacommons.org/licenses/odbl/1.0", "licensedb.org/id/ODbL-1"),
    ),
    _t(
        "ODC-By-1.0",
        "ODC Attribution 1.0",
        _ALL,
        {"attribution"},
        aliases=("EU:ODC_BY", "opendatacommons.org/licenses/by/1.0"),
    ),
    _t(
        "EUPL-1.2",
        "EUPL 1.2",
        _ALL,
        {"attribution", "share-alike", "notice"},
        aliases=("EU:EUPL_1_2",),
    ),
    _t(
        "EUPL-1.1",
        "EUPL 1.1",
        _ALL,
        {"attribution", "share-alike", "notice"},
        aliases=("EU:EUPL_1_1", "purl.org/NET/rdflicense/EUPL1.1"),
    ),
    _t(
        "Apache-2.0",
        "Apache 2.0",
        _ALL,
        {"attribution", "notice"},
        aliases=(
            "EU:APACHE_2_0",
            "www.apache.org/licenses/LICENSE-2.0",
            "purl.org/NET/rdflicense/APACHE2.0",
        ),
    ),
    _t(
        "MIT",
        "MIT",
        _ALL,
        {"attribution", "notice"},
        aliases=("opensource.org/license/mit", "opensource.org/licenses/MIT"),
    ),
    _t(
        "GPL-3.0-only",
        "GPL 3.0",
        _ALL,
        {"attribution", "share-alike", "notice"},
        aliases=("EU:GPL_3_0", "www.gnu.org/licenses/gpl-3.0"),
    ),
    _t(
        "DL-DE-BY-2.0",
        "Datenlizenz Deutschland Namensnennung 2.0",
        _ALL,
        {"attribution"},
        aliases=("EU:DL_DE_BY_2_0",),
    ),
    _t(
        "etalab-2.0",
        "Licence Ouverte 2.0",
        _ALL,
        {"attribution"},
        aliases=("EU:ETALAB_2_0", "www.etalab.gouv.fr/licence-ouverte-open-licence"),
    ),
    _t(
        "IODL-2.0",
        "Italian Open Data Licence 2.0",
        _ALL,
        {"attribution", "share-alike"},
        aliases=("EU:IODL_2_0",),
    ),
    _t(
        "COPERNICUS",
        "Copernicus data licence (EU Regulation 1159/2013)",
        _ALL,
        {"attribution"},
        aliases=(
            "EU:COPERNICUS",
            "sentinel.esa.int/documents/247904/690755/Sentinel_Data_Legal_Notice",
        ),
    ),
    _t(
        "ELRA-END-USER",
        "ELRA end-user licence (research, no redistribution)",
        frozenset({"tdm"}),
        {"attribution", "non-commercial"},
        {"commercial", "derivatives", "distribution", "ai-training"},
        aliases=("purl.org/NET/rdflicense/elra-end-user",),
    ),
    _t(
        "MS-C-NORED-FF",
        "META-SHARE Commercial NoRedistribution For-A-Fee",
        frozenset({"commercial", "derivatives", "tdm"}),
        {"attribution"},
        {"distribution", "ai-training"},
        aliases=("purl.org/NET/rdflicense/ms-c-nored-ff",),
    ),
)


def _norm(iri: str) -> str:
    iri = iri.strip()
    if iri.startswith(str(EU_LICENCE)):
        return "EU:" + iri[len(str(EU_LICENCE)) :]
    iri = re.sub(r"^https?://", "", iri).rstrip("/")
    iri = re.sub(r"\.(html|txt|json|rdf|ttl)$", "", iri)
    for prefix in ("spdx.org/licenses/", "spdx.org/rdf/licenses/"):
        if iri.startswith(prefix):
            return "SPDX:" + iri[len(prefix) :]
    if "creativecommons.org/licenses/" in iri:
        iri = re.sub(r"/(legalcode|deed)(\.\w+)?$", "", iri)
    return iri


class LicenceTable:
    """Lookup of :class:`LicenceTerms` by IRI; ``version`` changes when the table changes."""

    def __init__(self, entries: tuple[LicenceTerms, ...] = TABLE) -> None:
        self._by_key: dict[str, LicenceTerms] = {}
        self.version = 0
        for entry in entries:
            self.put(entry)

    def put(self, entry: LicenceTerms) -> None:
        """Add or replace one mapping (a licence mapping change)."""
        self._by_key["SPDX:" + entry.key] = entry
        for alias in entry.aliases:
            self._by_key[_norm(alias) if not alias.startswith("EU:") else alias] = entry
        self.version += 1

    def copy(self) -> LicenceTable:
        """An independent table with the same mappings (to change without side effects)."""
        other = LicenceTable(())
        other._by_key = dict(self._by_key)
        other.version = self.version
        return other

    def lookup(self, iri: str) -> LicenceTerms | None:
        return self._by_key.get(_norm(iri))

    def __len__(self) -> int:
        return len({id(v) for v in self._by_key.values()})
