"""Metadata quality per dataset and per source, with what to fix, plus AI-readiness.

The dimensions and weights follow the spirit of data.europa.eu's Metadata Quality
Assessment (MQA): findability, accessibility, interoperability, reusability and
contextuality, each a sum of points for checks that pass. Reachability of URLs is not
probed here (the catalogue never fetches on a page view), so accessibility scores the
presence of access and download URLs. AI-readiness adds what an AI developer needs: a
licence that clearly permits training, a sample, a described schema and tagged languages.

* :mod:`catalog.quality.report`: checks, reports and the mean of many reports;
* :mod:`catalog.quality.rules`: one small function per check;
* :mod:`catalog.quality.scoring`: a dataset's report, a stored dataset's, a source's;
* :mod:`catalog.quality.conformance`: SHACL outcomes cached per version.

>>> report = dataset_quality(model, has_sample=True)        # doctest: +SKIP
>>> report.percent, report.fixes()[:1]
"""

from catalog.quality.conformance import ConformanceCache
from catalog.quality.report import DIMENSIONS, Check, QualityReport, mean_report
from catalog.quality.scoring import dataset_quality, quality_of, source_quality

__all__ = [
    "DIMENSIONS",
    "Check",
    "ConformanceCache",
    "QualityReport",
    "dataset_quality",
    "mean_report",
    "quality_of",
    "source_quality",
]
