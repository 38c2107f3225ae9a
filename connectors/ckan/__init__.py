"""CKAN portals (the Action API's package_search)."""

from connectors.ckan.connector import CkanConnector, check_cursor

__all__ = ["CkanConnector", "check_cursor"]
