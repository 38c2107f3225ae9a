"""The dataset page's answer: can I get it, from which data lab, how long, on what terms.

Presents what offer resolution decided (``DatasetOffers.to_dict()``, the same answer the API
gives) for one visitor: a one-sentence summary first, then the labs grouped by verdict (may
offer, may offer under conditions, needs review; *may not offer* counted and folded away),
each with its access mode, steps and lead time and its obligations in plain words. Nothing
here decides a verdict or reads a dataset's terms: it only words them.
"""

from __future__ import annotations

from typing import Any

from api.web.labels import label
from catalog.offers.resolution import CONDITIONS, MAY_NOT, MAY_OFFER, REVIEW

#: The groups shown, best first; *may not offer* is folded away under its count.
SHOWN = (MAY_OFFER, CONDITIONS, REVIEW)

_ORG_PHRASE = {  # "… to a research organisation in Germany …" (English sentence only)
    "Research": "a research organisation",
    "StartUp": "a start-up",
    "SME": "an SME",
    "LargeCompany": "a large company",
    "PublicSector": "a public sector body",
    "HealthcareProvider": "a healthcare provider",
    "NonProfit": "a non-profit organisation",
}


#: Said when the visitor has not stated a profile yet.
_HINT = {
    "en": "Tell us who you are and why, below, for the answer that fits you.",
    "de": "Sagen Sie uns unten, wer Sie sind und wofür, für die Antwort, die zu Ihnen passt.",
    "fr": "Dites-nous ci-dessous qui vous êtes et pourquoi, pour la réponse qui vous correspond.",
}


def lead_time(days: int | None, lang: str = "en") -> str | None:
    """A lab's lead time in words: "about 10 days", "about 4 weeks"."""
    if days is None:
        return None
    if days < 14:
        n, unit = days, {"en": ("day", "days"), "de": ("Tag", "Tage"), "fr": ("jour", "jours")}
    else:
        n = round(days / 7)
        unit = {"en": ("week", "weeks"), "de": ("Woche", "Wochen"), "fr": ("semaine", "semaines")}
    one, many = unit.get(lang, unit["en"])
    about = {"de": "etwa", "fr": "environ"}.get(lang, "about")
    return f"{about} {n} {one if n == 1 else many}"


def _obligations(terms: dict[str, Any], lang: str) -> list[str]:
    """The offer's duties, prohibitions and constraints, each a line in plain words."""
    out: list[str] = []
    duties = [label(d, "duty", lang) for d in terms.get("duties") or []]
    if duties:
        out.append(_words("You must", lang) + ": " + "; ".join(duties))
    banned = [label(p, "use", lang) for p in terms.get("prohibitions") or []]
    if banned:
        out.append(_words("Not allowed", lang) + ": " + "; ".join(banned))
    out.extend(terms.get("constraints") or [])
    return out


def _words(text: str, lang: str) -> str:
    table = {
        "You must": {"de": "Sie müssen", "fr": "Vous devez"},
        "Not allowed": {"de": "Nicht erlaubt", "fr": "Interdit"},
        "Allowed": {"de": "Erlaubt", "fr": "Autorisé"},
    }
    return table.get(text, {}).get(lang, text)


def present_offer(offer: dict[str, Any], dataset_id: str, lang: str) -> dict[str, Any]:
    """One lab's offer as the page shows it."""
    terms = offer["terms"]
    permitted = [label(p, "use", lang) for p in terms.get("permissions") or []]
    return {
        "lab": offer["lab"],
        "lab_name": offer["lab_name"],
        "verdict": offer["verdict"],
        "usable_for_ai_training": offer["usable_for_ai_training"],
        "access_mode": terms.get("access_mode"),
        "route": terms.get("route"),
        "steps": terms.get("steps") or [],
        "lead_time": lead_time(offer.get("lead_time_days"), lang),
        "fees": offer.get("fees"),
        "allowed": (_words("Allowed", lang) + ": " + "; ".join(permitted)) if permitted else None,
        "obligations": _obligations(terms, lang),
        "reasons": offer["reasons"],
        # what stops the offer (may not) or must be looked at (needs review), shown openly
        "concerns": [
            step["text"]
            for step in offer.get("trace") or []
            if step["outcome"] == ("block" if offer["verdict"] == MAY_NOT else "review")
        ],
        "requestable": offer["verdict"] != MAY_NOT,
        "dataset_id": dataset_id,
    }


def _who(profile: dict[str, Any] | None, lang: str) -> tuple[str, str, str]:
    """The profile's organisation type, country and purpose in words ("" when open)."""
    if not profile:
        return "", "", ""
    org = profile.get("org_type") or ""
    country = profile.get("country") or ""
    purpose = profile.get("purpose") or ""
    return (
        label(org, "org_type", lang) if org else "",
        label(country, "country", lang) if country else "",
        label(purpose, "purpose", lang) if purpose else "",
    )


def summary(offers: list[dict[str, Any]], profile: dict[str, Any] | None, lang: str) -> str:
    """The answer in one or two sentences, for the visitor's profile."""
    offered = [o for o in offers if o["verdict"] in (MAY_OFFER, CONDITIONS)]
    conditional = sum(1 for o in offered if o["verdict"] == CONDITIONS)
    review = sum(1 for o in offers if o["verdict"] == REVIEW)
    timed = [o for o in offered if o.get("lead_time_days") is not None]
    quickest = min(timed, key=lambda o: (o["lead_time_days"], o["lab_name"])) if timed else None
    org, country, purpose = _who(profile, lang)
    if lang in ("de", "fr"):
        worded = _summary_de if lang == "de" else _summary_fr
        text = worded(len(offered), conditional, review, quickest, (org, country, purpose))
        return text if profile else f"{text} {_HINT[lang]}"
    who = ""
    if profile:
        phrase = _ORG_PHRASE.get(profile.get("org_type") or "", "")
        who = (f" to {phrase}" if phrase else "") + (f" in {country}" if country else "")
        who += f" for {purpose}" if purpose else ""
    n = len(offered)
    if n == 0:
        text = f"No data lab may offer this dataset{who}"
        text += (
            f"; {review} {'needs' if review == 1 else 'need'} a review of the terms."
            if review
            else "."
        )
        return text if profile else f"{text} {_HINT['en']}"
    labs = "1 data lab" if n == 1 else f"{n} data labs"
    text = f"{labs} may offer this dataset{who}"
    if conditional:
        text += f"; {conditional} of them under conditions" if n > 1 else ", under conditions"
    text += "."
    if review:
        text += f" {review} more {'needs' if review == 1 else 'need'} a review of the terms."
    if quickest is not None:
        text += f" The quickest: {quickest['lab_name']}, {lead_time(quickest['lead_time_days'])}."
    return text if profile else f"{text} {_HINT['en']}"


def _summary_de(
    n: int, conditional: int, review: int, quickest: dict[str, Any] | None, who: tuple[str, ...]
) -> str:
    stated = ", ".join(w for w in who if w)
    lead = f"Für Ihr Profil ({stated}) " if stated else ""
    if n == 0:
        text = f"{lead}darf kein Data Lab" if lead else "Kein Data Lab darf"
        text += " diesen Datensatz anbieten"
        return text + (f"; bei {review} sind die Bedingungen zu prüfen." if review else ".")
    labs = "1 Data Lab" if n == 1 else f"{n} Data Labs"
    verb = "darf" if n == 1 else "dürfen"
    text = (
        f"{lead}{verb} {labs} diesen Datensatz anbieten"
        if lead
        else f"{labs} {verb} diesen Datensatz anbieten"
    )
    if conditional:
        text += f", {conditional} davon unter Bedingungen"
    text += "."
    if review:
        text += f" {review} weitere zur Prüfung."
    if quickest is not None:
        when = lead_time(quickest["lead_time_days"], "de")
        text += f" Am schnellsten: {quickest['lab_name']}, {when}."
    return text


def _summary_fr(
    n: int, conditional: int, review: int, quickest: dict[str, Any] | None, who: tuple[str, ...]
) -> str:
    stated = ", ".join(w for w in who if w)
    lead = f"Pour votre profil ({stated}), " if stated else ""
    if n == 0:
        text = lead + "aucun laboratoire de données ne peut proposer ce jeu de données"
        text = text[0].upper() + text[1:]
        return text + (f" ; {review} à examiner." if review else ".")
    labs = "1 laboratoire de données peut" if n == 1 else f"{n} laboratoires de données peuvent"
    text = f"{lead}{labs} proposer ce jeu de données"
    if conditional:
        text += f", dont {conditional} sous conditions"
    text += "."
    if review:
        text += f" {review} autre(s) à examiner."
    if quickest is not None:
        when = lead_time(quickest["lead_time_days"], "fr")
        text += f" Le plus rapide : {quickest['lab_name']}, {when}."
    return text[0].upper() + text[1:]


def _quickest_first(offer: dict[str, Any]) -> tuple[float, str]:
    """Within a verdict, the lab with the shortest lead time first (unknown last)."""
    days = offer.get("lead_time_days")
    return (float("inf") if days is None else float(days), offer["lab_name"])


def present_offers(answer: dict[str, Any], lang: str = "en") -> dict[str, Any]:
    """``DatasetOffers.to_dict()`` as the page shows it: the summary, the groups shown (each
    quickest first), the labs that may not offer (folded), and whether any offer allows AI
    training."""
    offers = answer["offers"]
    dataset_id = answer["dataset"]
    groups = [
        {
            "verdict": verdict,
            "offers": [
                present_offer(o, dataset_id, lang)
                for o in sorted(offers, key=_quickest_first)
                if o["verdict"] == verdict
            ],
        }
        for verdict in SHOWN
    ]
    refused = [present_offer(o, dataset_id, lang) for o in offers if o["verdict"] == MAY_NOT]
    return {
        "summary": summary(offers, answer.get("profile"), lang),
        "groups": [g for g in groups if g["offers"]],
        "refused": refused,
        "usable_for_ai_training": answer["usable_for_ai_training"],
        "profile": answer.get("profile"),
    }
