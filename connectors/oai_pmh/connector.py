"""OAI-PMH repositories of language resources (CLARIN, ELRC, META-SHARE) through Sickle.

``ListMetadataFormats`` picks the richest family the endpoint offers: META-SHARE, then CMDI
(every ``cmdi*`` prefix: CLARIN centres publish one per profile), then OLAC, then
``oai_dc`` (option ``metadata_prefix`` forces one). ``ListRecords`` is paged by resumption
tokens; each page's URL carries its token (the first its ``metadataPrefix``), and the next
page's URL is announced on the page, so the runner's paging guard
(:mod:`catalog.harvest.paging`) stops a token that comes back, and paging past
``harvest_max_pages``, before the request is sent.

Sickle's HTTP goes through :class:`catalog.outbound.fetcher.Fetcher` (:class:`FetcherSickle`), and
every response is refused if it declares a DOCTYPE or entities before lxml sees it (lxml is
then used with ``resolve_entities=False``, no network, no DTD). Deleted records are skipped.
Each record maps with :mod:`connectors.oai_pmh.language_mapping`; one that does not map is a
per-record failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

import pyoxigraph as ox
from lxml import etree
from sickle import Sickle, oaiexceptions
from sickle.iterator import OAIResponseIterator
from sickle.oaiexceptions import NoRecordsMatch

from catalog.errors import DatalabError, HarvestError, MappingError
from catalog.harvest.contract import Capability, Page, RecordFailure, SourceRecord
from catalog.rdf_input import check_xml
from catalog.settings import Settings
from connectors.oai_pmh.language_mapping import LanguageRecordMapper

OAI = "{http://www.openarchives.org/OAI/2.0/}"
#: Every error Sickle raises for an OAI-PMH <error> answer (they share no base class).
OAI_ERRORS: tuple[type[Exception], ...] = tuple(
    obj
    for obj in vars(oaiexceptions).values()
    if isinstance(obj, type) and issubclass(obj, Exception) and obj is not NoRecordsMatch
)
ACCEPT = "text/xml, application/xml;q=0.9"
FAMILIES = ("metashare", "cmdi", "olac", "oai_dc")
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False
)


@dataclass
class _Response:
    """The part of ``requests.Response`` Sickle reads."""

    status_code: int
    content: bytes
    encoding: str | None = "utf-8"

    @property
    def text(self) -> str:
        return self.content.decode(self.encoding or "utf-8", errors="replace")

    def raise_for_status(self) -> None:
        return None


class FetcherSickle(Sickle):
    """Sickle whose requests are bounded GETs by our fetcher, checked for hostile XML."""

    def __init__(self, endpoint: str, fetcher: Any) -> None:
        super().__init__(endpoint, max_retries=0)
        self.fetcher = fetcher

    def url_for(self, params: dict[str, Any]) -> str:
        """The GET URL of a request with these OAI-PMH arguments, the verb first (Sickle
        sends a resumption token first: the same request has one URL either way)."""
        sep = "&" if "?" in self.endpoint else "?"
        ordered = {"verb": params.get("verb"), **params} if "verb" in params else params
        return f"{self.endpoint}{sep}{urlencode(ordered)}"

    def _request(self, kwargs: dict[str, Any]) -> _Response:
        url = self.url_for(kwargs)
        res = self.fetcher.get(url, accept=ACCEPT)
        if (res.media_type or "") in {"text/html", "application/xhtml+xml"}:
            raise HarvestError(f"{url} served an HTML page, not OAI-PMH XML", where=url)
        try:
            check_xml(res.content)
        except DatalabError as exc:
            raise HarvestError(f"OAI-PMH response refused: {exc.message}", where=url) from exc
        try:
            etree.fromstring(res.content, parser=_PARSER)
        except etree.XMLSyntaxError as exc:
            raise HarvestError(
                f"OAI-PMH response is not well-formed XML: {exc}", where=url
            ) from exc
        return _Response(200, res.content)


def family_of(prefix: str, namespace: str) -> str | None:
    p, ns = prefix.lower(), namespace.lower()
    if "metashare" in p or "meta-share" in ns or "metashare" in ns:
        return "metashare"
    if p.startswith("cmdi") or "clarin.eu/cmd" in ns:
        return "cmdi"
    if "olac" in p or "language-archives.org/olac" in ns:
        return "olac"
    if p == "oai_dc":
        return "oai_dc"
    return None


class OaiPmhConnector:
    """Harvests language-resource records over OAI-PMH (ListRecords + resumption tokens)."""

    kind: ClassVar[str] = "oai-pmh"
    capabilities: ClassVar[Capability] = Capability.FULL_LISTING

    def __init__(
        self, url: str, settings: Settings, fetcher: Any, options: dict[str, Any] | None = None
    ) -> None:
        self.url = url
        self.settings = settings
        self.options = options or {}
        self.sickle = FetcherSickle(url, fetcher)
        self.mapper = LanguageRecordMapper(str(self.options.get("data_space", "language")))

    def metadata_prefixes(self) -> list[str]:
        """The prefixes to harvest: the richest family the endpoint offers."""
        forced = self.options.get("metadata_prefix")
        if forced:
            return [str(forced)]
        try:
            formats = list(self.sickle.ListMetadataFormats())
        except OAI_ERRORS as exc:
            raise HarvestError(f"ListMetadataFormats failed: {exc}", where=self.url) from exc
        by_family: dict[str, list[str]] = {}
        for fmt in formats:
            prefix = str(getattr(fmt, "metadataPrefix", "") or "")
            ns = str(getattr(fmt, "metadataNamespace", "") or "")
            family = family_of(prefix, ns)
            if family:
                by_family.setdefault(family, []).append(prefix)
        for family in FAMILIES:
            if family in by_family:
                return by_family[family]
        offered = ", ".join(str(getattr(f, "metadataPrefix", "?")) for f in formats) or "none"
        raise HarvestError(
            f"the endpoint offers no CMDI, META-SHARE, OLAC or Dublin Core format ({offered})",
            where=self.url,
        )

    def pages(self, since: str | None = None) -> Iterator[Page]:
        number = 0
        # A record offered under two CMDI profiles is taken from the first profile only.
        earlier: set[str] = set()
        for prefix in self.metadata_prefixes():
            listed: set[str] = set()
            for url, response, next_url in self._responses(prefix):
                number += 1
                page = Page(number, url, next_url=next_url)
                for record in response.xml.iter(OAI + "record"):
                    self._record(record, prefix, page, earlier)
                listed.update(r.record_id for r in page.records)
                yield page
            earlier |= listed

    def _responses(self, prefix: str) -> Iterator[tuple[str, Any, str | None]]:
        """ListRecords responses for ``prefix`` following resumption tokens: each with its
        URL and the URL of the next one (None at the end)."""
        params: dict[str, Any] = {"verb": "ListRecords", "metadataPrefix": prefix}
        url = self.sickle.url_for(params)
        try:
            responses = OAIResponseIterator(self.sickle, params)
            while True:
                try:
                    response = next(responses)
                except StopIteration:
                    return
                token = responses.resumption_token
                next_url = None
                if token is not None and token.token:
                    resume = {"verb": "ListRecords", "resumptionToken": token.token}
                    next_url = self.sickle.url_for(resume)
                yield url, response, next_url
                if next_url is None:
                    return
                url = next_url
        except NoRecordsMatch:
            return
        except OAI_ERRORS as exc:
            raise HarvestError(
                f"ListRecords ({prefix}) failed: {type(exc).__name__} {exc}", where=self.url
            ) from exc

    def _iri(self, ident: str, prefix: str) -> str:
        """The record's IRI: ``iri_base`` + identifier when set, else its GetRecord URL."""
        base = self.options.get("iri_base")
        if base:
            return f"{base}{quote(ident, safe=':@')}"
        sep = "&" if "?" in self.url else "?"
        query = urlencode({"verb": "GetRecord", "metadataPrefix": prefix, "identifier": ident})
        return f"{self.url}{sep}{query}"

    def _record(self, record: Any, prefix: str, page: Page, earlier: set[str]) -> None:
        header = record.find(OAI + "header")
        ident = (header.findtext(OAI + "identifier") if header is not None else None) or ""
        ident = ident.strip()
        if not ident:
            page.failures.append(
                RecordFailure("(no identifier)", "record without an OAI identifier")
            )
            return
        if ident in earlier:
            return
        if header is not None and header.get("status") == "deleted":
            return
        metadata = record.find(OAI + "metadata")
        payload = (
            next((c for c in metadata if isinstance(c.tag, str)), None)
            if metadata is not None
            else None
        )
        if payload is None:
            page.failures.append(RecordFailure(ident, "record has no metadata element"))
            return
        iri = self._iri(ident, prefix)
        try:
            triples = self.mapper.map(iri, payload)
        except MappingError as exc:
            page.failures.append(RecordFailure(ident, exc.message))
            return
        except (ValueError, TypeError, AttributeError) as exc:
            page.failures.append(RecordFailure(ident, f"record could not be mapped: {exc}"))
            return
        datestamp = header.findtext(OAI + "datestamp") if header is not None else None
        page.records.append(SourceRecord(ident, ox.NamedNode(iri), triples, datestamp))
