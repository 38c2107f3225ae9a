"""Dataspace Protocol catalogues (2025-1)."""

from connectors.dsp.connector import DspConnector, next_link

__all__ = ["DspConnector", "next_link"]
