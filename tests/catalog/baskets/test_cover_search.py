"""The set cover search itself, on made-up lab masks: exact below the bound (checked against
every subset, with Hypothesis), greedy and said so above it; and the share-alike table
against the licence table."""

from __future__ import annotations

import functools
import operator

from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.baskets.cover import EXACT_LIMIT, _minimal_covers
from catalog.baskets.share_alike import OUTLETS, outlets
from catalog.offers.licences import builtin_table


def _brute(masks: dict[str, int], full: int) -> list[tuple[str, ...]]:
    """Every subset of the labs, as a bit pattern over them; the covering ones of the
    fewest labs (another walk than the search's, which grows the size up from one)."""
    labs = sorted(masks)
    covers = []
    for pick in range(1, 1 << len(labs)):
        chosen = tuple(lab for i, lab in enumerate(labs) if pick >> i & 1)
        if functools.reduce(operator.or_, (masks[lab] for lab in chosen), 0) == full:
            covers.append(chosen)
    fewest = min((len(c) for c in covers), default=0)
    return [c for c in covers if len(c) == fewest]


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=1, max_value=8).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.dictionaries(
                st.sampled_from([f"lab{i:02d}" for i in range(10)]),
                st.integers(min_value=1, max_value=(1 << n) - 1),
                min_size=1,
            ),
        )
    )
)
def test_every_minimum_cover_and_only_those(case: tuple[int, dict[str, int]]) -> None:
    _, masks = case
    full = 0
    for m in masks.values():
        full |= m  # cover what the labs can offer, as the basket does
    found, exact = _minimal_covers(masks, full)
    assert exact
    assert sorted(found) == sorted(_brute(masks, full))


def test_past_the_bound_a_greedy_cover_said_to_be_so() -> None:
    masks = {f"lab{i:02d}": 1 << i for i in range(EXACT_LIMIT + 1)}
    full = (1 << (EXACT_LIMIT + 1)) - 1
    (cover,), exact = _minimal_covers(masks, full)
    assert not exact and sorted(cover) == sorted(masks)


def test_every_share_alike_licence_of_the_table_has_its_outlets() -> None:
    table = {t.key: t for t in builtin_table()}
    share_alike = {k for k, t in table.items() if "share-alike" in t.requires}
    assert share_alike <= set(OUTLETS), share_alike - set(OUTLETS)
    for key in OUTLETS:
        assert key in table, key
        assert key in outlets(key)
        assert outlets(key) <= set(table)  # every outlet is a licence the table knows
