"""The CKAN package mapping, shared with the CKAN API's writes: see
:mod:`catalog.federation.ckan_import`."""

from __future__ import annotations

from catalog.federation.ckan_import import IANA, LICENCES, PackageMapper

__all__ = ["IANA", "LICENCES", "PackageMapper"]
