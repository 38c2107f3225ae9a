"""Text analysis for the search index: folding, tokens, per-language stems, decompounding.

Every indexed word is stored twice: *folded* (lower case, accents and Greek tonos removed,
final sigma unified) in the plain columns, and *stemmed* in the ``stems`` column as
``<lang>_<stem>`` tokens, stemmed with the Snowball stemmer of the literal's language
tag. A query word is folded and stemmed with every supported language, so a German
query matches German stems only through ``de_…`` tokens and never collides with an
English stem of the same spelling. Words of German and the other compounding languages
are also stored by their starts (``pre_klinik`` for "Klinikum"), so "Klinik" finds
"Klinikum" with one term lookup (a prefix query would read every posting of every word
it begins, too slow for a common word at millions of datasets).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

#: Language tag (ISO 639-1) -> Snowball algorithm: the EU's larger languages and more.
STEMMERS: dict[str, str] = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "pl": "polish",
    "nl": "dutch",
    "pt": "portuguese",
    "ro": "romanian",
    "el": "greek",
    "cs": "czech",
    "hu": "hungarian",
    "sv": "swedish",
    "da": "danish",
    "fi": "finnish",
    "et": "estonian",
    "lt": "lithuanian",
    "ga": "irish",
}
#: Languages whose compound words are split at query time against the index vocabulary.
COMPOUNDING = ("de", "nl", "sv", "da")

#: Words of these languages are also indexed by their starts (``pre_klinik`` for
#: "Klinikum"), so a query word finds the compounds it begins: German, Dutch, Swedish and
#: Danish put the modifier first (``Klinik`` + ``um``, ``Krankenhaus`` + ``daten``).
START_LANGS = COMPOUNDING
#: The shortest and longest word start indexed (folded letters).
MIN_START = 4
MAX_START = 24
#: Tags a word start in the ``stems`` column (stems are ``<lang>_``: two letters).
START_TAG = "pre_"

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_MAX_WORD = 64


#: Every combining mark of the Basic Multilingual Plane, deleted by :func:`fold`.
_COMBINING: dict[int, str | None] = {
    c: None for c in range(0x10000) if unicodedata.combining(chr(c))
}
_COMBINING[ord("ς")] = "σ"


def fold(text: str) -> str:
    """Lower case, without diacritics (é→e, ä→a, ά→α), final sigma as sigma, ß as ss."""
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFKD", text.casefold()).translate(_COMBINING)


def words(text: str) -> list[str]:
    """The words of ``text``, unfolded, in order (letters, digits; underscores split)."""
    found: list[str] = _WORD.findall(text)
    if len(text) <= _MAX_WORD or max(map(len, found), default=0) <= _MAX_WORD:
        return found  # the common case: no word to cut
    return [w[:_MAX_WORD] for w in found]


def base_lang(tag: str | None) -> str:
    """``de-AT`` -> ``de``; ``None``/empty -> ``""``."""
    return (tag or "").split("-")[0].lower()


@lru_cache(maxsize=32)
def _stemmer(lang: str) -> snowballstemmer.stemmer | None:
    algorithm = STEMMERS.get(lang)
    if not algorithm:
        return None
    stemmer = snowballstemmer.stemmer(algorithm)
    if hasattr(stemmer, "maxCacheSize"):
        # PyStemmer's own cache (10,000 words a language, each a list) only repeats what
        # :func:`stem`'s cache holds, and the garbage collector walked its lists in every
        # full collection: 70,000 of them once a build has met enough words
        stemmer.maxCacheSize = 0
    return stemmer


def stem(lang: str, word: str) -> str:
    """The folded stem of one word in ``lang`` (the folded word if no stemmer applies),
    its letters and digits only."""
    return _stem_of(f"{lang}:{word}")


@lru_cache(maxsize=500_000)
def _stem_of(key: str) -> str:
    """:func:`stem` of ``<lang>:<word>``, cached by one string: with two arguments the
    cache's keys are tuples, and each new one makes the cache's dictionary a container the
    garbage collector walks whole again (27 ms a collection at 400,000 words: a build's
    writer collects once a batch, and spent 32-42 s of a 2M build on it)."""
    lang, word = key.split(":", 1)
    stemmer = _stemmer(lang)
    lowered = word.casefold()
    folded = fold(stemmer.stemWord(lowered) if stemmer else lowered)
    # letters and digits only, so that ``<lang>_<stem>`` is one token in FTS5's tokenizer
    # and in the mirror's, which indexes ``stems`` without positions: folding may make
    # other characters of one (``½`` -> ``1⁄2``, ``⑴`` -> ``(1)``)
    return folded if folded.isalnum() else "".join(_WORD.findall(folded))


def stem_tokens(text: str, lang: str) -> list[str]:
    """``<lang>_<stem>`` tokens of ``text``; nothing for a language without a stemmer."""
    if lang not in STEMMERS:
        return []
    return _stems_of(words(text), lang)


def index_tokens(text: str, lang: str, starts: bool) -> list[str]:
    """What the ``stems`` column holds for ``text``: its :func:`stem_tokens`, then (with
    ``starts``) its :func:`start_tokens`, the words of ``text`` found once for both."""
    stemmed = lang in STEMMERS
    if not stemmed and not (starts and lang in START_LANGS):
        return []
    found = words(text)
    out = _stems_of(found, lang) if stemmed else []
    if starts and lang in START_LANGS:
        out.extend(_starts_of(found))
    return out


def _stems_of(found: list[str], lang: str) -> list[str]:
    known = _TOKENS.setdefault(lang, {})
    try:
        return [known[w] for w in found]  # a build meets the same words again and again
    except KeyError:
        pass
    out = []
    for w in found:
        token = known.get(w)
        if token is None:
            token = f"{lang}_{stem(lang, w)}"
            if len(known) < _MAX_TOKENS:
                known[w] = token
        out.append(token)
    return out


#: Per language, word -> its stem token: an index build meets the same words again and
#: again (a plain dict lookup, cheaper than formatting the token around the stem cache).
_TOKENS: dict[str, dict[str, str]] = {}
_MAX_TOKENS = 200_000


def forget_words() -> None:
    """Empty the caches of words an index build met (:func:`stem`'s and
    :data:`_TOKENS`: up to 500,000 and 200,000 a language, about 140 MB for the stems
    alone): after a full build in the serving process they held the build's words, which
    queries rarely ask for again."""
    _stem_of.cache_clear()
    _TOKENS.clear()


def start_tokens(text: str, lang: str) -> list[str]:
    """``pre_<start>`` tokens of the words of ``text`` in a language of
    :data:`START_LANGS`: every start of a word from :data:`MIN_START` letters up to one
    letter short of the word (the whole word is indexed as it is), each once."""
    if lang not in START_LANGS:
        return []
    return _starts_of(words(text))


def _starts_of(found: list[str]) -> list[str]:
    out: dict[str, None] = {}
    for word in found:
        folded = fold(word)
        if folded.isalpha():
            for k in range(MIN_START, min(len(folded), MAX_START + 1)):
                out[START_TAG + folded[:k]] = None
    return list(out)


def word_starts(word: str) -> list[str]:
    """The ``pre_`` tokens a query word looks up: its folded form and its folded German
    stem (``Kliniken`` -> ``klinik``), each of :data:`MIN_START` letters or more."""
    starts = dict.fromkeys((fold(word), stem("de", word)))
    return [START_TAG + s[:MAX_START] for s in starts if len(s) >= MIN_START and s.isalpha()]


def compound_splits(word: str, min_part: int = 4) -> list[tuple[str, str]]:
    """Candidate (modifier, rest) splits of a compound, longest modifier first.

    The caller keeps the splits whose parts the index knows: ``krankenhausdaten`` ->
    (``krankenhaus``, ``daten``); a linking ``s`` is dropped (``verkehrsdaten`` ->
    ``verkehr``).
    """
    w = fold(word)
    out: list[tuple[str, str]] = []
    for i in range(len(w) - 3, min_part - 1, -1):
        head, rest = w[:i], w[i:]
        out.append((head, rest))
        if head.endswith("s") and len(head) - 1 >= min_part:
            out.append((head[:-1], rest))
    return out
