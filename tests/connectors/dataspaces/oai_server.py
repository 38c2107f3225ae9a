"""A loopback OAI-PMH endpoint replaying the language corpus as a repository would:
Identify, ListMetadataFormats and ListRecords paged by resumption tokens (text/xml)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from tests.connectors.dataspaces.server import Reply, Request, Server

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<OAI-PMH xmlns="{OAI_NS}"><responseDate>2026-11-22T00:00:00Z</responseDate>'
)


@dataclass
class OaiRecord:
    identifier: str
    datestamp: str
    metadata: bytes  # the metadata payload element, serialised
    deleted: bool = False


def corpus_cmdi_records(corpus: Path) -> list[OaiRecord]:
    """The CMDI records of the real ListRecords and GetRecord responses."""
    out = []
    for name in ("resp0001.xml", "response-GetRecord.xml"):
        root = etree.parse(str(corpus / "language" / "clarin-oai-pmh" / name)).getroot()
        for rec in root.iter(f"{{{OAI_NS}}}record"):
            ident = rec.findtext(f"{{{OAI_NS}}}header/{{{OAI_NS}}}identifier")
            stamp = rec.findtext(f"{{{OAI_NS}}}header/{{{OAI_NS}}}datestamp")
            payload = next(c for c in rec.find(f"{{{OAI_NS}}}metadata") if isinstance(c.tag, str))
            out.append(OaiRecord(ident, stamp, etree.tostring(payload)))
    return out


def corpus_metashare_records(corpus: Path) -> list[OaiRecord]:
    """The META-SHARE resourceInfo files, each as one OAI record."""
    out = []
    for path in sorted((corpus / "language" / "meta-share").glob("*.xml")):
        root = etree.parse(str(path)).getroot()
        out.append(OaiRecord(f"oai:meta-share:{path.stem}", "2020-01-01", etree.tostring(root)))
    return out


@dataclass
class OaiEndpoint:
    """Routes ``/oai`` on ``server``; ``formats`` is prefix → namespace."""

    server: Server
    formats: dict[str, str] = field(default_factory=dict)
    records: dict[str, list[OaiRecord]] = field(default_factory=dict)
    per_page: int = 2
    #: page index (0-based) → raw body to serve instead (hostile pages)
    override: dict[int, bytes] = field(default_factory=dict)
    #: page index → token to send instead of the next one
    token_of: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.server.routes["/oai"] = self.route

    @property
    def url(self) -> str:
        return self.server.base + "/oai"

    def route(self, req: Request) -> Reply:
        verb = req.query.get("verb", [""])[0]
        if verb == "ListMetadataFormats":
            body = "".join(
                f"<metadataFormat><metadataPrefix>{p}</metadataPrefix><schema>{ns}.xsd</schema>"
                f"<metadataNamespace>{ns}</metadataNamespace></metadataFormat>"
                for p, ns in self.formats.items()
            )
            return self._xml(f"{HEAD}<ListMetadataFormats>{body}</ListMetadataFormats></OAI-PMH>")
        if verb == "ListRecords":
            token = req.query.get("resumptionToken", [None])[0]
            if token:
                prefix, _, start_s = token.partition(":")
                start = int(start_s)
            else:
                prefix, start = req.query.get("metadataPrefix", [""])[0], 0
            return self._list(prefix, start)
        return self._xml(f'{HEAD}<error code="badVerb">unknown verb</error></OAI-PMH>')

    def _list(self, prefix: str, start: int) -> Reply:
        records = self.records.get(prefix, [])
        if not records:
            return self._xml(f'{HEAD}<error code="noRecordsMatch">none</error></OAI-PMH>')
        index = start // self.per_page
        if index in self.override:
            return Reply(200, self.override[index], "text/xml; charset=utf-8")
        chunk = records[start : start + self.per_page]
        parts = []
        for r in chunk:
            status = ' status="deleted"' if r.deleted else ""
            meta = "" if r.deleted else f"<metadata>{r.metadata.decode()}</metadata>"
            parts.append(
                f"<record><header{status}><identifier>{r.identifier}</identifier>"
                f"<datestamp>{r.datestamp}</datestamp></header>{meta}</record>"
            )
        token = ""
        nxt = self.token_of.get(index)
        if nxt is None and start + self.per_page < len(records):
            nxt = f"{prefix}:{start + self.per_page}"
        if nxt is not None:
            token = (
                f'<resumptionToken completeListSize="{len(records)}" cursor="{start}">'
                f"{nxt}</resumptionToken>"
            )
        return self._xml(f"{HEAD}<ListRecords>{''.join(parts)}{token}</ListRecords></OAI-PMH>")

    @staticmethod
    def _xml(text: str) -> Reply:
        return Reply(200, text.encode("utf-8"), "text/xml; charset=utf-8")
