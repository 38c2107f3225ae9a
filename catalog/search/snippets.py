"""Highlighted snippets and language choice for hits.

Rule (see docs/search-engine.md): a snippet is cut only from what the index holds for
display: titles, keywords (with publisher names) and, for datasets whose access level is
``public``, descriptions. Descriptions of every other dataset are never stored in the
index, so no code path can put them into a snippet. Snippets are HTML-escaped; the only
markup is ``<mark>`` around matched words.
"""

from __future__ import annotations

import html
import re

from catalog.search.query import ParsedQuery
from catalog.search.text import STEMMERS, base_lang, fold, stem

_WORD = re.compile(r"\w+", re.UNICODE)
WINDOW = 24
Texts = list[tuple[str, str]]


def accept_languages(header: str | None) -> list[str]:
    """Base languages of an ``Accept-Language`` header, best first (``*`` ignored)."""
    if not header:
        return []
    prefs = []
    for i, part in enumerate(header.split(",")[:20]):
        bits = part.strip().split(";")
        tag = base_lang(bits[0].strip())
        q = 1.0
        for b in bits[1:]:
            if b.strip().startswith("q="):
                try:
                    q = float(b.strip()[2:])
                except ValueError:
                    q = 0.0
        if tag and tag != "*" and re.fullmatch(r"[a-z]{1,8}", tag) and q > 0:
            prefs.append((-q, i, tag))
    return list(dict.fromkeys(tag for _, _, tag in sorted(prefs)))


def pick(texts: Texts | dict[str, str], langs: list[str]) -> str | None:
    """The text in the best language: preferred ones, then English, untagged, any."""
    items = list(texts.items()) if isinstance(texts, dict) else texts
    if not items:
        return None
    by_lang: dict[str, str] = {}
    for lang, text in items:
        by_lang.setdefault(base_lang(lang), text)
    # a regional preference ("de-de") takes the language's text ("de")
    for lang in [*(base_lang(tag) for tag in langs), "en", ""]:
        if lang in by_lang:
            return by_lang[lang]
    return items[0][1]


def _ordered(texts: Texts, langs: list[str]) -> Texts:
    rank: dict[str, int] = {}
    for lang in [*(base_lang(tag) for tag in langs), "en", ""]:
        rank.setdefault(lang, len(rank))
    return sorted(texts, key=lambda t: rank.get(base_lang(t[0]), len(rank)))


def _matches(word: str, lang: str, pq: ParsedQuery) -> bool:
    f = fold(word)
    if f in pq.highlight_words or any(f.startswith(p) for p in pq.highlight_prefixes):
        return True
    langs = [base_lang(lang)] if base_lang(lang) in STEMMERS else ["en"]
    return any(f"{lg}_{stem(lg, word)}" in pq.highlight_stems for lg in langs)


def _cut(text: str, lang: str, pq: ParsedQuery | None) -> str | None:
    tokens = list(_WORD.finditer(text))
    first = 0
    if pq is not None:
        found = next((i for i, m in enumerate(tokens) if _matches(m.group(), lang, pq)), None)
        if found is None:
            return None
        first = found
    start = max(0, first - WINDOW // 3)
    end = min(len(tokens), start + WINDOW)
    hits: list[int] = []
    if pq is not None:  # the first match, then the others in its window (none is before it)
        hits = [first, *(i for i in range(first + 1, end) if _matches(tokens[i].group(), lang, pq))]
    if not tokens:
        return html.escape(text[:200])
    lo, hi = tokens[start].start(), tokens[end - 1].end()
    out, pos = [], lo
    for i in hits:  # all within the window
        m = tokens[i]
        out.append(html.escape(text[pos : m.start()]))
        out.append(f"<mark>{html.escape(m.group())}</mark>")
        pos = m.end()
    out.append(html.escape(text[pos:hi]))
    prefix = "… " if lo > 0 else ""
    suffix = " …" if hi < len(text) else ""
    return prefix + "".join(out) + suffix


def snippet(display: dict[str, Texts], pq: ParsedQuery | None, langs: list[str]) -> str:
    """The best highlighted passage of the displayable texts (never a hidden description)."""
    fields = ("descriptions", "keywords", "titles")
    if pq is not None:
        for name in fields:
            texts = display.get(name) or []
            if name == "keywords":
                texts = _grouped(texts)
            for lang, text in _ordered(texts, langs):
                cut = _cut(text, lang, pq)
                if cut:
                    return cut
    description = pick(display.get("descriptions") or [], langs)
    if description:
        return _cut(description, "", None) or ""
    keywords = display.get("keywords") or []
    return html.escape(" · ".join(t for _, t in keywords[:12]))


def _grouped(texts: Texts) -> Texts:
    """Keywords joined per language, so each group is stemmed in its own language."""
    groups: dict[str, list[str]] = {}
    for lang, text in texts:
        groups.setdefault(lang, []).append(text)
    return [(lang, " · ".join(items)) for lang, items in groups.items()]
