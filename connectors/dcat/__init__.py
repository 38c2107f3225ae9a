"""DCAT-AP catalogues published as RDF."""

from connectors.dcat.connector import DcatConnector

__all__ = ["DcatConnector"]
