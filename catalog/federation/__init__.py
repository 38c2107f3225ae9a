"""Federation and exports: DCAT-AP pages, CKAN package dicts, DSP catalogue, Croissant, SPARQL.

Each module builds one export from the :class:`catalog.service.Catalogue`; the routers in
``api/routers/`` only negotiate and wrap them. Nothing here ever exports the catalogue's
bookkeeping predicates (:data:`catalog.namespaces.INTERNAL_PREDICATES`), the meta graph or
a graph version that is not current.
"""

from catalog.federation.dcat_export import CatalogPage, CatalogQuery, build_catalog_page

__all__ = ["CatalogPage", "CatalogQuery", "build_catalog_page"]
