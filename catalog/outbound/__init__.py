"""Every outbound fetch: bounded in time and size, refusing internal addresses."""
