"""HealthDCAT-AP catalogues of the EHDS."""

from connectors.healthdcat.connector import HealthDcatConnector, health_fields

__all__ = ["HealthDcatConnector", "health_fields"]
