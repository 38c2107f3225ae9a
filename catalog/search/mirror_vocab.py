"""The vocabulary of the Tantivy mirror, as query expansion asks for it.

Under ``search_text_engine = "tantivy"`` the index file's text table is a plain table
(:data:`catalog.search.index.TEXT_TABLES`): no FTS5 vocabulary to read, so the compound
splitting of :func:`catalog.search.query.expand` asks the mirror's term dictionaries, which
hold the same terms (:mod:`.mirror_layout` splits the text as FTS5 does).

A term dictionary also lists the terms of documents deleted since the segments holding
them were last merged (Tantivy's ``doc_freq`` counts those documents), while FTS5's
vocabulary lists the live documents' terms only. A field whose dictionary counts more
documents of a term than the mirror holds deleted ones has a live one; a term counted no
more than that is taken only once a search finds a live document holding it (its postings
are then that short). Finding a live document of a common term costs 2-12 ms at 2M
documents, reading the counts microseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

import tantivy

from catalog.search.mirror_layout import FIELDS

#: Terms starting with a prefix read at a time from a field's dictionary, most counted
#: first; past them, Tantivy counts the live documents of every such term.
PREFIX_CANDIDATES = 8


class MirrorVocabulary:
    """The :class:`~catalog.search.query.Vocabulary` of a mirror, read through one
    ``searcher`` (the mirror as it was when the query began); ``deleted`` reads how many
    deleted documents its segments hold (``None``: unknown, every term is searched)."""

    def __init__(
        self,
        searcher: tantivy.Searcher,
        schema: tantivy.Schema,
        deleted: Callable[[], int | None],
    ) -> None:
        self.searcher = searcher
        self.schema = schema
        self._deleted = deleted

    @cached_property
    def deleted(self) -> int | None:
        """Deleted documents the segments hold (read when first needed)."""
        return self._deleted()

    def has(self, term: str) -> bool:
        counted = {name: self.searcher.doc_freq(name, term) for name in FIELDS}
        holding = [name for name, n in counted.items() if n]
        if not holding:
            return False
        return self._more_than_deleted(max(counted.values())) or self._alive(holding, term)

    def has_prefix(self, prefix: str) -> bool:
        for name in FIELDS:
            found = self.searcher.terms_with_prefix(name, prefix, limit=PREFIX_CANDIDATES)
            if not found:
                continue
            if self._more_than_deleted(found[0][1]):  # the most counted term comes first
                return True
            if any(self._alive([name], term) for term, _ in found):
                return True
            if len(found) == PREFIX_CANDIDATES and self.searcher.terms_with_prefix(
                name, prefix, filter_query=tantivy.Query.all_query(), limit=1
            ):  # more terms than read, none of those read live: count the live ones
                return True
        return False

    def _more_than_deleted(self, counted: int) -> bool:
        """Whether ``counted`` documents of a term in one field must include a live one."""
        deleted = self.deleted
        return deleted is not None and counted > deleted

    def _alive(self, names: list[str], term: str) -> bool:
        """Whether a live document holds ``term`` in one of the fields ``names``."""
        either = [
            (tantivy.Occur.Should, tantivy.Query.term_query(self.schema, name, term))
            for name in names
        ]
        found = self.searcher.search(tantivy.Query.boolean_query(either), limit=1, count=False)
        return bool(found.hits)
