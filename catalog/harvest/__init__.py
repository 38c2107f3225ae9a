"""Harvesting: registered sources, jobs, and the run that turns a listing into a graph.

>>> from catalog.harvest import Harvester, HarvestSources   # doctest: +SKIP
>>> HarvestSources(settings).add("demo", "ckan", "https://demo.ckan.org")
>>> job = Harvester(catalogue).run("demo")
"""

from catalog.harvest.jobs import Job, JobStore
from catalog.harvest.runner import Harvester
from catalog.harvest.sources import HarvestSource, HarvestSources

__all__ = ["HarvestSource", "HarvestSources", "Harvester", "Job", "JobStore"]
