"""Materialised offers over a real catalogue, recomputed incrementally on change."""

from __future__ import annotations

from pathlib import Path

from catalog.ids import dataset_id
from catalog.labs import edit_lab, load_registry
from catalog.offers import CONDITIONS, MAY_NOT, MAY_OFFER, REVIEW, OfferIndex, offers_for
from catalog.offers.licences import LicenceTerms

DATA = Path(__file__).parent / "data" / "datasets.ttl"
EO = dataset_id("https://example.org/ds/eo-open")
UNKNOWN = dataset_id("https://example.org/ds/unknown-lic")


def _index(catalogue) -> OfferIndex:
    catalogue.load_file(DATA, source="fixtures", replace=True)
    load_registry(catalogue)
    index = OfferIndex(catalogue)
    index.rebuild()
    return index


def test_materialised_equals_direct_resolution(catalogue):
    index = _index(catalogue)
    assert len(index.offers) == len(index.terms) * 19
    for ds in index.terms:
        direct = {o.lab.id: o.verdict for o in offers_for(catalogue, ds).offers}
        assert {o.lab.id: o.verdict for o in index.for_dataset(ds).offers} == direct


def test_lab_change_recomputes_only_its_column(catalogue):
    index = _index(catalogue)
    assert index.offers[(EO, "nlaif-datalab")].verdict == MAY_NOT
    before = index.recomputed
    edit_lab(
        catalogue,
        "nlaif-datalab",
        {"data_spaces": ["health", "earth-observation"]},
        staff_factory="nlaif",
    )
    index.lab_changed("nlaif-datalab")
    assert index.recomputed - before == len(index.terms)
    assert index.offers[(EO, "nlaif-datalab")].verdict == CONDITIONS
    assert any(o.dataset == EO for o in index.for_lab("nlaif-datalab")[0])


def test_licence_mapping_change_recomputes_its_datasets(catalogue):
    index = _index(catalogue)
    assert index.offers[(UNKNOWN, "jaif-datalab")].verdict == REVIEW
    before = index.recomputed
    index.licence_changed(
        LicenceTerms(
            "OUR-OWN",
            "Our own open licence",
            frozenset({"commercial", "derivatives", "distribution", "tdm", "ai-training"}),
            aliases=("https://example.org/our-own-licence",),
        )
    )
    assert index.recomputed - before == 19  # one dataset uses it
    assert index.offers[(UNKNOWN, "jaif-datalab")].verdict == MAY_OFFER


def test_dataset_change_and_delete(catalogue):
    index = _index(catalogue)
    ttl = DATA.read_text().replace(
        'ex:eo-open a dcat:Dataset ; dct:title "Open EO" ; dlab:dataSpace ds:earth-observation ;\n'
        "    dct:license lic:CC_BY_4_0 ; dct:accessRights ar:PUBLIC .",
        'ex:eo-open a dcat:Dataset ; dct:title "Open EO" ; dlab:dataSpace ds:earth-observation ;\n'
        "    dct:license lic:CC_BY_4_0 ; dct:accessRights ar:NON_PUBLIC .",
    )
    assert "ar:NON_PUBLIC ." in ttl
    catalogue.load(ttl.encode(), fmt="turtle", source="fixtures", replace=True)
    index.dataset_changed(EO)
    assert index.offers[(EO, "brain-datalab")].verdict == MAY_NOT
    catalogue.delete(EO)
    index.dataset_changed(EO)
    assert not any(k[0] == EO for k in index.offers)
