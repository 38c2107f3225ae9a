"""Shared fixtures of the connector tests live in tests/connectors/loopback.py (harvest
servers) and tests/connectors/fault_server.py (fetcher fault injection)."""
