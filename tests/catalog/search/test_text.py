"""Tokens of the index: words cut at their maximum length, stem tokens the same whether
the word was seen before (the per-language token cache) or not, and the tokens a build
computes in one pass the same as each kind computed on its own, and every stem token one
token to FTS5 and to the Tantivy mirror."""

from __future__ import annotations

import gc
import sqlite3

import snowballstemmer

from catalog.search.index import TOKENIZE
from catalog.search.mirror_layout import tokens
from catalog.search.text import (
    MAX_START,
    MIN_START,
    START_LANGS,
    START_TAG,
    STEMMERS,
    fold,
    index_tokens,
    start_tokens,
    stem,
    stem_tokens,
    words,
)


def test_words_are_cut_only_when_too_long() -> None:
    long = "x" * 70
    assert words("Krankenhäuser und Kliniken") == ["Krankenhäuser", "und", "Kliniken"]
    assert words(f"a {long} b_c") == ["a", "x" * 64, "b", "c"]


def test_stem_tokens_repeat_the_same_tokens_from_the_cache() -> None:
    text = "Krankenhäuser Kliniken Krankenhäuser"
    first = stem_tokens(text, "de")
    assert first == [f"de_{stem('de', w)}" for w in words(text)]
    assert first[0] == first[2] == "de_krankenhaus"
    assert stem_tokens(text, "de") == first
    assert stem_tokens("hospitals", "en") == ["en_hospit"]
    assert stem_tokens("hospitals", "xx") == []


#: Texts whose words fold, cut or split in every way the tokens care about.
TRICKY = [
    "Krankenhausdaten Übersicht Straße GRÖSSE Klinikum Kliniken 2024",
    "Νοσοκομεία ΟΔΟΣ ποιότητα αέρα ς",
    "Qualité de l'eau — données ½ ﬁchier Œuvre",
    "東京都の人口データ 2020年 空气质量 数据集",
    "snake_case words_with_underscores ICD10 x86_64 ℌilbert ǅemal İstanbul",
    "Ziekenhuisopnamen verkeersdata Sjukhusdata Trafikolyckor trafikulykker",
    "a" * 80 + " Donaudampfschifffahrtsgesellschaftskapitänsmütze",
    "",
]


def _old_start_tokens(text: str, lang: str) -> list[str]:
    """:func:`start_tokens` as it was written before its per-word cache."""
    if lang not in START_LANGS:
        return []
    out: dict[str, None] = {}
    for word in words(text):
        folded = fold(word)
        if folded.isalpha():
            for k in range(MIN_START, min(len(folded), MAX_START + 1)):
                out[START_TAG + folded[:k]] = None
    return list(out)


def test_index_tokens_are_the_stem_tokens_then_the_start_tokens() -> None:
    for text in TRICKY:
        for lang in (*STEMMERS, "ja", "xx"):
            assert start_tokens(text, lang) == _old_start_tokens(text, lang)
            plain = stem_tokens(text, lang)
            assert index_tokens(text, lang, False) == plain
            assert index_tokens(text, lang, True) == plain + start_tokens(text, lang)


def test_stems_without_the_stemmers_own_cache_are_its_stems() -> None:
    for lang, algorithm in STEMMERS.items():
        cached = snowballstemmer.stemmer(algorithm)  # PyStemmer's cache left on
        for text in TRICKY:
            for word in words(text) * 2:
                folded = fold(cached.stemWord(word.casefold()))
                assert stem(lang, word) == "".join(c for c in folded if c.isalnum())


def test_every_stem_token_is_one_token_to_both_engines() -> None:
    """The mirror indexes ``stems`` by whitespace and without positions, FTS5 by its own
    tokenizer: a stem token that either split would be a phrase the mirror cannot answer.
    Folding makes some letters and digits into several words (``½`` -> ``1⁄2``); their
    stems are the letters and digits only, for every language."""
    splitting = [chr(c) for c in range(0x10000) if chr(c).isalnum() and not fold(chr(c)).isalnum()]
    assert "½" in splitting and "⑴" in splitting
    text = " ".join(f"{c} mess{c}wert" for c in splitting)
    found = {t for lang in STEMMERS for t in index_tokens(text, lang, starts=True)}
    assert "en_messwert" in found and "de_12" in found  # "½" in German
    db = sqlite3.connect(":memory:")
    db.execute(f'CREATE VIRTUAL TABLE t USING fts5(x, tokenize = "{TOKENIZE}")')
    db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'row')")
    for token in sorted(found):
        assert tokens(token) == token, token  # the mirror's query side
        db.execute("DELETE FROM t")
        db.execute("INSERT INTO t VALUES (?)", (token,))
        assert [r[0] for r in db.execute("SELECT term FROM v")] == [token], token


def test_new_words_leave_the_garbage_collector_no_cache_to_walk() -> None:
    """A build's writer collects its garbage once a batch, and every batch meets new
    words: the stem cache must never become a container the collector walks whole (with
    tuple keys it did, 27 ms a collection at 400,000 words)."""
    for i in range(5000):
        stem("en", f"wortschatz{i}x")
    was_enabled = gc.isenabled()
    gc.disable()  # what the next collection would walk stays in the youngest generation
    try:
        gc.collect()
        for i in range(5000, 5100):
            stem("de", f"wortschatz{i}x")
        young = gc.get_objects(generation=0)
        walked = [o for o in young if isinstance(o, dict) and len(o) >= 5000]
        assert walked == []
    finally:
        if was_enabled:
            gc.enable()
