"""SPARQL 1.1 endpoints holding DCAT-AP."""

from connectors.sparql.connector import SparqlConnector

__all__ = ["SparqlConnector"]
