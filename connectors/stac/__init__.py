"""STAC catalogues and APIs (Copernicus)."""

from connectors.stac.connector import StacConnector

__all__ = ["StacConnector"]
