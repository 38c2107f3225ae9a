"""Tokens of the index: words cut at their maximum length, stem tokens the same whether
the word was seen before (the per-language token cache) or not, and the tokens a build
computes in one pass the same as each kind computed on its own."""

from __future__ import annotations

import snowballstemmer

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
                assert stem(lang, word) == fold(cached.stemWord(word.casefold()))
