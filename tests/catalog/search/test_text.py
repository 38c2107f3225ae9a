"""Tokens of the index: words cut at their maximum length, stem tokens the same whether
the word was seen before (the per-language token cache) or not."""

from __future__ import annotations

from catalog.search.text import stem, stem_tokens, words


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
