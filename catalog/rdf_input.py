"""Safe reading of RDF documents from untrusted sources.

Parsing is done by pyoxigraph, streaming, with the catalogue's guards around it:

* a byte cap and a nesting cap before anything is parsed (see :mod:`catalog.rdf_bounds`),
  and caps on triples, literal length and RDF list length while parsing;
* RDF/XML with a DOCTYPE is refused, so no entity is ever expanded (pyoxigraph expands
  internal entities, and rdflib expands all of them);
* JSON-LD ``@context`` references are resolved only from bundled files, never fetched;
  JSON nesting is bounded;
* a broken document gives a :class:`~catalog.errors.ParseError` naming the line and column,
  and a broken cap a :class:`~catalog.errors.LimitExceeded` naming the line it was reached.

A store that writes as it reads calls :meth:`GuardedTriples.check` first: one reading pass
that keeps nothing, so a refused document (a cap, a syntax error at its very end) costs no
write and no clean-up of a half-written graph. The embedded store's bulk path
(:meth:`GuardedTriples.ntriples_chunks`) keeps what that pass serialised, compressed in
memory, and loads it from there: the document is parsed once.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import IO, Any, cast

import pyarrow as pa
import pyoxigraph as ox

from catalog.errors import LimitExceeded, ParseError, UnsafeDocument, UnsupportedFormat
from catalog.rdf_bounds import (
    RDF_REST,
    ListTracker,
    ParseLimits,
    PositionReader,
    check_turtle_nesting,
    check_xml_nesting,
)

FORMATS_BY_NAME: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ttl": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nt": ox.RdfFormat.N_TRIPLES,
    "xml": ox.RdfFormat.RDF_XML,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "rdf": ox.RdfFormat.RDF_XML,
    "owl": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
    "json": ox.RdfFormat.JSON_LD,
    "trig": ox.RdfFormat.TRIG,
    "nq": ox.RdfFormat.N_QUADS,
    "nquads": ox.RdfFormat.N_QUADS,
}

MEDIA_TYPES: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/xml": ox.RdfFormat.RDF_XML,
    "text/xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/json": ox.RdfFormat.JSON_LD,
    "application/trig": ox.RdfFormat.TRIG,
    "application/n-quads": ox.RdfFormat.N_QUADS,
}

_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_MAX_CONTEXT_DEPTH = 8


def format_from_name(name: str) -> ox.RdfFormat:
    """An RDF syntax from a short name (``turtle``, ``jsonld``, ``xml``…) or a file extension."""
    key = name.lower().lstrip(".").replace("-", "").replace("/", "").replace("+", "")
    fmt = FORMATS_BY_NAME.get(key)
    if fmt is None:
        known = ", ".join(sorted({"turtle", "ntriples", "xml", "jsonld", "trig", "nquads"}))
        raise UnsupportedFormat(f"unknown RDF syntax {name!r}; known: {known}")
    return fmt


def format_from_media_type(media_type: str) -> ox.RdfFormat:
    """An RDF syntax from a Content-Type header value (parameters ignored)."""
    base = media_type.split(";", 1)[0].strip().lower()
    fmt = MEDIA_TYPES.get(base)
    if fmt is None:
        raise UnsupportedFormat(f"media type {base!r} is not an RDF syntax the catalogue reads")
    return fmt


def guess_format(filename: str | None, media_type: str | None = None) -> ox.RdfFormat:
    """Pick the syntax from the media type when it is specific, else from the file name."""
    if media_type and media_type.split(";", 1)[0].strip().lower() not in {
        "",
        "application/octet-stream",
        "text/plain",
    }:
        return format_from_media_type(media_type)
    if filename and "." in filename:
        return format_from_name(filename.rsplit(".", 1)[1])
    raise UnsupportedFormat(
        "cannot tell the RDF syntax: give a file extension, a media type or --format",
        where=filename,
    )


class ContextResolver:
    """Resolves JSON-LD ``@context`` URLs from local files only; never from the network."""

    def __init__(self, contexts: Mapping[str, Path]) -> None:
        self._paths = {self._key(url): Path(path) for url, path in contexts.items()}
        self._cache: dict[str, Any] = {}

    @staticmethod
    def _key(url: str) -> str:
        return url.strip().rstrip("#").removeprefix("https://").removeprefix("http://")

    def known(self) -> list[str]:
        return sorted(self._paths)

    def resolve(self, url: str) -> Any:
        """The ``@context`` value of the bundled document registered for ``url``."""
        key = self._key(url)
        if key not in self._paths:
            raise UnsafeDocument(
                f"remote JSON-LD context {url!r} is not bundled; the catalogue never fetches "
                "contexts during ingest",
                where="@context",
            )
        if key not in self._cache:
            doc = json.loads(self._paths[key].read_text(encoding="utf-8"))
            self._cache[key] = doc.get("@context", {}) if isinstance(doc, dict) else {}
        return self._cache[key]


def bundled_contexts_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "schemas" / "contexts"


def default_context_resolver(extra: Mapping[str, Path] | None = None) -> ContextResolver:
    """Resolver for the contexts the project bundles in ``schemas/contexts/``.

    Each bundled file declares the URL it stands for in ``schemas/contexts/index.json``.
    """
    folder = bundled_contexts_dir()
    index_file = folder / "index.json"
    mapping: dict[str, Path] = {}
    if index_file.exists():
        for url, name in json.loads(index_file.read_text(encoding="utf-8")).items():
            mapping[url] = folder / name
    mapping.update(extra or {})
    return ContextResolver(mapping)


def _check_depth(value: Any, max_depth: int) -> None:
    stack: list[tuple[Any, int, str]] = [(value, 0, "$")]
    while stack:
        node, depth, path = stack.pop()
        if depth > max_depth:
            raise LimitExceeded(f"JSON nesting deeper than {max_depth}", where=path)
        if isinstance(node, dict):
            stack.extend((v, depth + 1, f"{path}.{k}") for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, depth + 1, f"{path}[{i}]") for i, v in enumerate(node))


def _inline_contexts(node: Any, resolver: ContextResolver, depth: int = 0) -> Any:
    """Replace every remote ``@context`` reference by the bundled context it names."""
    if depth > _MAX_CONTEXT_DEPTH:
        raise UnsafeDocument("JSON-LD contexts nest too deeply (recursive @import?)")
    if isinstance(node, list):
        return [_inline_contexts(v, resolver, depth) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "@context":
            out[key] = _resolve_context_value(value, resolver, depth)
        else:
            out[key] = _inline_contexts(value, resolver, depth)
    return out


def _resolve_context_value(value: Any, resolver: ContextResolver, depth: int) -> Any:
    if depth > _MAX_CONTEXT_DEPTH:
        raise UnsafeDocument("JSON-LD contexts nest too deeply (recursive @import?)")
    if isinstance(value, str):
        return _resolve_context_value(resolver.resolve(value), resolver, depth + 1)
    if isinstance(value, list):
        resolved: list[Any] = []
        for item in value:
            inner = _resolve_context_value(item, resolver, depth)
            resolved.extend(inner if isinstance(inner, list) else [inner])
        return resolved
    if isinstance(value, dict):
        if "@import" in value:
            imported = _resolve_context_value(value["@import"], resolver, depth + 1)
            rest = {k: v for k, v in value.items() if k != "@import"}
            base = imported if isinstance(imported, dict) else {}
            return {**base, **_inline_contexts(rest, resolver, depth + 1)}
        return _inline_contexts(value, resolver, depth + 1)
    return value


def prepare_jsonld(data: bytes, limits: ParseLimits, resolver: ContextResolver) -> bytes:
    """Check a JSON-LD document's nesting and inline its contexts from bundled files."""
    try:
        doc = json.loads(data)
    except RecursionError as exc:
        raise LimitExceeded(f"JSON nesting deeper than {limits.max_nesting}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        col = getattr(exc, "colno", None)
        where = f"line {line}, column {col}" if line else None
        raise ParseError(f"broken JSON: {getattr(exc, 'msg', exc)}", where=where) from exc
    _check_depth(doc, limits.max_nesting)
    return json.dumps(_inline_contexts(doc, resolver)).encode("utf-8")


def check_xml(data: bytes) -> None:
    """Refuse XML that declares a DOCTYPE or entities (billion laughs, XXE)."""
    head = data
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = data.decode("utf-16", errors="replace").encode("utf-8")
    if _DOCTYPE.search(head):
        raise UnsafeDocument(
            "XML documents with a DOCTYPE or entity declarations are refused", where="prolog"
        )


def prepare(
    data: bytes, fmt: ox.RdfFormat, limits: ParseLimits, resolver: ContextResolver | None = None
) -> bytes:
    """Apply the pre-parse guards for ``fmt`` and return the bytes to parse."""
    if len(data) > limits.max_bytes:
        raise LimitExceeded(f"document of {len(data)} bytes exceeds the cap of {limits.max_bytes}")
    if fmt == ox.RdfFormat.RDF_XML:
        check_xml(data)
        check_xml_nesting(data, limits.max_nesting)
    elif fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
        check_turtle_nesting(data, limits.max_nesting)
    elif fmt == ox.RdfFormat.JSON_LD:
        data = prepare_jsonld(data, limits, resolver or default_context_resolver())
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data


def _syntax_error(exc: BaseException) -> ParseError:
    message = str(exc) or exc.__class__.__name__
    line = getattr(exc, "lineno", None)
    where = f"line {line}" if line else None
    if where is None:
        found = re.search(r"line (\d+)", message)
        where = f"line {found.group(1)}" if found else None
    return ParseError(f"broken RDF: {message}", where=where)


#: Syntaxes whose documents hold triples only: they can be re-serialised as N-Triples.
TRIPLE_FORMATS = frozenset({ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES, ox.RdfFormat.RDF_XML})


class GuardedTriples:
    """The triples (as default-graph quads) of an untrusted document, read with every guard.

    Iterate it for pyoxigraph quads, or, for a triple-only syntax, read it once as
    canonical N-Triples chunks with :meth:`ntriples_chunks` (the fast path of the embedded
    store: no Python object per triple past the parser). Both apply the same caps and name
    the line of a syntax error. Parsing starts on first use, so errors surface there; a
    store calls :meth:`check` before its first write.
    """

    def __init__(
        self,
        data: bytes,
        fmt: ox.RdfFormat,
        limits: ParseLimits,
        *,
        base_iri: str | None = None,
        resolver: ContextResolver | None = None,
    ) -> None:
        self._data = data
        self.fmt = fmt
        self.limits = limits
        self._base_iri = base_iri
        self._resolver = resolver
        self._payload: bytes | None = None
        self._quads: Iterator[ox.Quad] | None = None
        #: Triples counted by :meth:`check` (None until it has run).
        self.checked: int | None = None

    def __iter__(self) -> Iterator[ox.Quad]:
        if self._quads is None:
            self._quads = self._guarded_quads()
        return self._quads

    def __next__(self) -> ox.Quad:
        return next(iter(self))

    def check(self) -> int:
        """Read the whole document once with every guard, keeping nothing; returns the
        number of triples. Raises what iterating would raise, before anything is written.

        The triples go from the parser to pyoxigraph's serialiser in bounded chunks, so
        memory stays flat and the cost is about a tenth of what storing them costs."""
        if self.checked is None:
            counted: list[int] = []
            deque(self._chunks(_CHECK_CHUNK, checking=True, counted=counted), maxlen=0)
            self.checked = counted[0]
        return self.checked

    def _prepared(self) -> bytes:
        if self._payload is None:
            self._payload = prepare(self._data, self.fmt, self.limits, self._resolver)
        return self._payload

    def _parse(self, source: bytes | PositionReader | None = None) -> Iterator[ox.Quad]:
        return ox.parse(
            self._prepared() if source is None else cast("IO[bytes]", source),
            self.fmt,
            base_iri=self._base_iri,
            rename_blank_nodes=True,
        )

    def _locate(self, number: int) -> str:
        """Where triple ``number`` ends: the document is read again up to it (only when a
        cap has been broken). JSON-LD is re-serialised before parsing: no line to give."""
        if self.fmt == ox.RdfFormat.JSON_LD:
            return f"triple {number}"
        reader = PositionReader(self._prepared())
        deque(islice(self._parse(reader), number), maxlen=0)
        return reader.where()

    def _guarded_quads(self) -> Iterator[ox.Quad]:
        payload = self._prepared()
        reader = PositionReader(payload)
        located = self.fmt != ox.RdfFormat.JSON_LD
        count = 0
        max_triples = self.limits.max_triples
        max_literal = self.limits.max_literal_bytes
        lists = ListTracker(self.limits.max_list_items)
        literal_type, blank_type, rest = ox.Literal, ox.BlankNode, RDF_REST

        def where() -> str:
            return reader.where() if located else f"triple {count}"

        try:
            for quad in self._parse(reader):
                count += 1
                if count > max_triples:
                    raise _too_many(max_triples, where())
                obj = quad.object
                if type(obj) is literal_type:
                    if len(obj.value) > max_literal:
                        raise _literal_too_long(len(obj.value), max_literal, count, quad.subject)
                elif quad.predicate == rest:
                    following = str(obj) if type(obj) is blank_type else None
                    lists.link(str(quad.subject), following, where)
                yield quad
        except (SyntaxError, ValueError) as exc:
            raise _syntax_error(exc) from exc
        except UnicodeDecodeError as exc:
            raise ParseError(f"document is not valid UTF-8: {exc.reason}") from exc

    def ntriples_chunks(self, chunk_triples: int) -> Iterator[bytes] | None:
        """Canonical N-Triples of the document, ``chunk_triples`` lines at a time, or None
        when the syntax may hold named graphs (TriG, N-Quads, JSON-LD): iterate instead.

        The whole document is checked first, since a store loads each chunk as it comes
        (dropping a refused graph of a few hundred thousand triples again costs seconds and
        hundreds of MB); that checking pass keeps the chunks it serialises in memory,
        zstd-compressed (about a tenth of their size: 22 MB per 100,000 generated
        datasets; a temporary file cost up to 2 s per 240 MB on a disk the store was
        writing to), and gives them back one at a time, so the document is parsed once.
        Canonical N-Triples has one triple per line and no raw newline inside a literal, so
        the triple cap still counts lines and the literal cap looks only at over-long lines.
        Blank nodes keep one id per document across chunks.
        """
        if self.fmt not in TRIPLE_FORMATS or self._quads is not None:
            return None
        self._quads = iter(())  # read once, either way
        packed: deque[tuple[pa.Buffer, int]] = deque()
        counted: list[int] = []
        for chunk in self._chunks(max(1, chunk_triples), counted=counted):
            packed.append((_SPOOL.compress(chunk), len(chunk)))
            del chunk
        self.checked = counted[0]
        return _unpacked(packed)

    def ntriples_lines(self) -> list[str] | None:
        """The document's triples as canonical N-Triples lines (``str`` of each triple,
        without the final ``" ."``), read with every guard, or None when the syntax may
        hold named graphs (TriG, N-Quads, JSON-LD): iterate instead.

        For a page of a harvest (bounded by the fetcher's size cap): the triples go from
        the parser to pyoxigraph's serialiser without a Python object each. Canonical
        N-Triples holds no raw newline in a term, so ``" .\\n"`` ends each line and no
        other place."""
        if self.fmt not in TRIPLE_FORMATS or self._quads is not None:
            return None
        self._quads = iter(())  # read once, either way
        text = b"".join(self._chunks(_LINES_CHUNK)).decode("utf-8")
        self.checked = text.count("\n")
        return text[:-3].split(" .\n") if text else []

    def _chunks(
        self, chunk_triples: int, *, checking: bool = False, counted: list[int] | None = None
    ) -> Iterator[bytes]:
        """Canonical N-Triples (N-Quads when ``checking``: any syntax) chunks, capped.

        ``checking`` is :meth:`check`'s reading (N-Quads: any syntax). Either way RDF lists
        are measured, and a broken cap names its line (the document is then read again up
        to the offending triple).
        """
        max_triples = self.limits.max_triples
        long_line = re.compile(rb"\n[^\n]{%d}" % (self.limits.max_literal_bytes + 1))
        lists = ListTracker(self.limits.max_list_items)
        syntax = ox.RdfFormat.N_QUADS if checking else ox.RdfFormat.N_TRIPLES
        count = 0
        try:
            quads = self._parse()
            while True:
                # Never parse more than one triple past the cap.
                take = min(chunk_triples, max_triples + 1 - count)
                chunk = ox.serialize(islice(quads, take), format=syntax)
                if not chunk:
                    break
                lines = chunk.count(b"\n")
                if count + lines > max_triples:
                    raise _too_many(max_triples, self._locate(max_triples + 1))
                if len(chunk) > self.limits.max_literal_bytes:
                    self._check_literals(chunk, long_line, count, syntax)
                if _REST_MARK in chunk:
                    self._check_lists(chunk, lists, count)
                count += lines
                pending = [chunk]
                del chunk  # a suspended generator keeps its locals: hold no chunk
                yield pending.pop()
        except (SyntaxError, ValueError) as exc:
            raise _syntax_error(exc) from exc
        except UnicodeDecodeError as exc:
            raise ParseError(f"document is not valid UTF-8: {exc.reason}") from exc
        if counted is not None:
            counted.append(count)

    def _check_lists(self, chunk: bytes, lists: ListTracker, before: int) -> None:
        """Feed the chunk's ``rdf:rest`` lines to the list tracker."""
        for found in _REST_LINE.finditer(chunk):
            cell, following = found.group(1), found.group(2)

            def where(start: int = found.start()) -> str:
                return self._locate(before + chunk.count(b"\n", 0, start) + 1)

            lists.link(
                cell.decode(),
                following.decode() if following.startswith(b"_:") else None,
                where,
            )

    def _check_literals(
        self,
        chunk: bytes,
        long_line: re.Pattern[bytes],
        before: int,
        syntax: ox.RdfFormat = ox.RdfFormat.N_TRIPLES,
    ) -> None:
        """Apply the literal cap to the lines long enough to break it (a literal of n
        characters takes at least n bytes of its line)."""
        text = b"\n" + chunk
        max_literal = self.limits.max_literal_bytes
        found = long_line.search(text)
        while found is not None:
            start = found.start() + 1
            end = text.index(b"\n", start)
            for quad in ox.parse(text[start : end + 1], syntax):
                obj = quad.object
                if type(obj) is ox.Literal and len(obj.value) > max_literal:
                    number = before + text.count(b"\n", 0, start)
                    raise _literal_too_long(
                        len(obj.value), max_literal, number, quad.subject, self._locate(number)
                    )
            found = long_line.search(text, end)


def _unpacked(packed: deque[tuple[pa.Buffer, int]]) -> Iterator[bytes]:
    """The checked chunks back, one at a time, each freed as it is given out."""
    while packed:
        frame, size = packed.popleft()
        chunk = [_SPOOL.decompress(frame, decompressed_size=size, asbytes=True)]
        del frame
        yield chunk.pop()  # a suspended generator keeps its locals: hold no chunk


#: The codec of the checked chunks kept for loading (level 1: 0.3 s per 240 MB).
_SPOOL = pa.Codec("zstd", compression_level=1)


#: Triples per chunk of :meth:`GuardedTriples.check` (a few MB of N-Quads at most).
_CHECK_CHUNK = 20_000
#: Lines serialised at a time by :meth:`GuardedTriples.ntriples_lines`.
_LINES_CHUNK = 100_000
_REST_MARK = b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#rest>"
# An rdf:rest line of canonical N-Quads: subject, then an object that is a blank node or an
# IRI (a literal object, which holds spaces, makes no list link).
_REST_LINE = re.compile(
    rb"^(\S+) " + re.escape(_REST_MARK) + rb" (_:\S+|<[^>]*>)(?: <[^>]*>)? \.$", re.MULTILINE
)


def _too_many(cap: int, where: str | None) -> LimitExceeded:
    return LimitExceeded(
        f"document has more than {cap} triples",
        where=where,
        details={"limit": "max_triples", "cap": cap},
    )


def _literal_too_long(
    length: int, cap: int, number: int, subject: object, line: str | None = None
) -> LimitExceeded:
    details: dict[str, object] = {"limit": "max_literal_bytes", "cap": cap}
    if line is not None:
        details["line"] = line
    return LimitExceeded(
        f"literal of {length} characters exceeds the cap of {cap}",
        where=f"triple {number}, subject {subject}",
        details=details,
    )


def iter_triples(
    data: bytes,
    fmt: ox.RdfFormat,
    limits: ParseLimits,
    *,
    base_iri: str | None = None,
    resolver: ContextResolver | None = None,
) -> GuardedTriples:
    """Stream the triples (as default-graph quads) of an untrusted document, with every guard.

    Named graphs in TriG and N-Quads are read into the default graph.
    """
    return GuardedTriples(data, fmt, limits, base_iri=base_iri, resolver=resolver)
