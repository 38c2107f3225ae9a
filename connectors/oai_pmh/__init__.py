"""Language repositories over OAI-PMH (META-SHARE, CMDI, OLAC, Dublin Core)."""

from connectors.oai_pmh.connector import OaiPmhConnector

__all__ = ["OaiPmhConnector"]
