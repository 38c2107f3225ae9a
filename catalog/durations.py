"""Durations people type ("2 weeks", "zwei Wochen", "P14D") as a whole number of days.

Lead times and similar fields arrive from forms and from the API as ISO 8601 durations
(``P14D``, ``P2W``, ``P3M``, ``P1Y2M``) or in plain words, in English, German or French
("two weeks", "10 days", "3 Monate", "deux semaines", "1 month and 2 weeks"). Whatever is
given, one form is stored: whole days (a week is 7 days, a month 30, a year 365: a lead time
is an estimate, and one unit of storage keeps comparisons and sorting trivial). Anything that
cannot be read is refused with :class:`InvalidDuration` naming the field, never dropped.

>>> parse_days("two weeks", "lead_time")
14
>>> describe_days(14)
'2 weeks'
"""

from __future__ import annotations

import re

from catalog.errors import InvalidInput

#: Days per unit (the stored form is whole days).
DAYS = {"D": 1, "W": 7, "M": 30, "Y": 365}
#: The longest duration accepted (a hundred years): anything above is a typo.
MAX_DAYS = 36500

_UNITS = {
    # English
    "d": "D", "day": "D", "days": "D",
    "w": "W", "wk": "W", "wks": "W", "week": "W", "weeks": "W",
    "mo": "M", "month": "M", "months": "M",
    "y": "Y", "yr": "Y", "yrs": "Y", "year": "Y", "years": "Y",
    # German
    "tag": "D", "tage": "D", "tagen": "D",
    "woche": "W", "wochen": "W",
    "monat": "M", "monate": "M", "monaten": "M",
    "jahr": "Y", "jahre": "Y", "jahren": "Y",
    # French
    "jour": "D", "jours": "D",
    "semaine": "W", "semaines": "W",
    "mois": "M",
    "an": "Y", "ans": "Y", "année": "Y", "années": "Y", "annee": "Y", "annees": "Y",
}  # fmt: skip

_NUMBERS = {
    # English
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "fourteen": 14, "fifteen": 15, "twenty": 20, "thirty": 30, "sixty": 60, "ninety": 90,
    # German
    "ein": 1, "eine": 1, "einen": 1, "einem": 1, "eins": 1, "zwei": 2, "drei": 3, "vier": 4,
    "fünf": 5, "fuenf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10,
    "elf": 11, "zwölf": 12, "zwoelf": 12, "vierzehn": 14, "zwanzig": 20, "dreißig": 30,
    "dreissig": 30,
    # French
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8,
    "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "quinze": 15, "vingt": 20, "trente": 30,
}  # fmt: skip
_HALF = {"half", "halb", "halbe", "demi", "demie"}
_JOINERS = {"and", "und", "et", ",", "+"}

_ISO = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?", re.IGNORECASE)
_TOKEN = re.compile(r"\d+(?:[.,]\d+)?|[^\W\d_]+|[,+]")


class InvalidDuration(InvalidInput):
    """A duration that is neither ISO 8601 nor a number of days, weeks, months or years."""

    status = 422
    code = "invalid_duration"


def _refuse(text: str, where: str, why: str = "") -> InvalidDuration:
    return InvalidDuration(
        f"{text!r} is not a duration{why}: write e.g. 14 days, 2 weeks, 3 months, 1 year "
        "or an ISO 8601 duration such as P14D",
        where=where,
    )


def _iso(text: str) -> int | None:
    match = _ISO.fullmatch(text)
    if match is None or not any(match.groups()):
        return None
    years, months, weeks, days = (int(g or 0) for g in match.groups())
    return years * DAYS["Y"] + months * DAYS["M"] + weeks * DAYS["W"] + days


def _number(token: str) -> float | None:
    if token[0].isdigit():
        return float(token.replace(",", "."))
    if token in _HALF:
        return 0.5
    return _NUMBERS.get(token)


def _words(text: str, where: str) -> int:
    """Sum of ``<number> <unit>`` pairs, joined by nothing, "and", "und", "et" or commas."""
    tokens = [t for t in _TOKEN.findall(text.lower()) if t not in _JOINERS]
    if not tokens:
        raise _refuse(text, where)
    total = 0.0
    i = 0
    while i < len(tokens):
        amount = _number(tokens[i])
        # "10d", "2w": a number glued to its unit arrives as two tokens already
        if amount is None:
            raise _refuse(text, where, f" ({tokens[i]!r} is not a number)")
        if i + 1 >= len(tokens):
            raise _refuse(text, where, " (a number needs its unit: days, weeks, months, years)")
        unit = _UNITS.get(tokens[i + 1])
        if unit is None:
            raise _refuse(text, where, f" ({tokens[i + 1]!r} is not a unit)")
        total += amount * DAYS[unit]
        i += 2
    if total != int(total):
        raise _refuse(text, where, " (it is not a whole number of days)")
    return int(total)


def parse_days(value: object, where: str) -> int | None:
    """Whole days from an int, a numeric string (days), ISO 8601 or words; None when empty.

    Raises :class:`InvalidDuration` (422, ``where`` names the field) for anything else,
    for negative durations and for more than :data:`MAX_DAYS`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise _refuse(str(value), where)
    if isinstance(value, int):
        days = value
    elif isinstance(value, float) and value.is_integer():
        days = int(value)
    elif isinstance(value, str):
        text = " ".join(value.split())
        if text.isdigit():
            days = int(text)
        elif text.lstrip().startswith("-"):
            raise _refuse(value, where, " (it is negative)")
        else:
            iso = _iso(text)
            days = iso if iso is not None else _words(text, where)
    else:
        raise _refuse(str(value), where)
    if days < 0:
        raise _refuse(str(value), where, " (it is negative)")
    if days > MAX_DAYS:
        raise InvalidDuration(
            f"{value!r} is longer than {MAX_DAYS // 365} years; is it a typo?", where=where
        )
    return days


def describe_days(days: int | None) -> str:
    """Days in the largest unit that divides them ("2 weeks", "3 months", "10 days"); the
    result reads back to the same number with :func:`parse_days`."""
    if days is None:
        return ""
    for unit, name in (("Y", "year"), ("M", "month"), ("W", "week")):
        size = DAYS[unit]
        if days and days % size == 0:
            n = days // size
            return f"{n} {name}{'' if n == 1 else 's'}"
    return f"{days} day{'' if days == 1 else 's'}"


def iso_days(days: int) -> str:
    """The ISO 8601 form of a number of days (``P14D``)."""
    return f"P{days}D"


__all__ = ["DAYS", "MAX_DAYS", "InvalidDuration", "describe_days", "iso_days", "parse_days"]
