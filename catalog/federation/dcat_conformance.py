"""Which datasets ``/catalog`` may export: those whose description conforms to DCAT-AP 3.

``/catalog`` is a DCAT-AP 3.0.1 document. A harvested record may break the profile in ways
the export cannot mend without inventing facts (no description, a theme concept with no
label, two bounding boxes): such a dataset is left out of the export, as the DSP catalogue
leaves out what would break its schema. It stays everywhere else (the dataset API, search,
the CKAN API), and its quality page names the violations.

A dataset's *unit* is what the export writes for it (its record, the nodes it reaches, the
types DCAT-AP's ranges entail). Units are validated with the catalogue's shapes
(``DATALAB_SHAPES_PATH``: by default the project's, which give the official DCAT-AP 3.0.1
shapes' verdicts), in batches on a long-lived SHACL worker, under the validation deadline;
a unit that cannot be validated in time is left out too (the export vouches for what it
lists). Verdicts are cached by the digest of the unit's triples and the shapes, so a
dataset is validated again only when what the export would write for it changes.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable

import pyoxigraph as ox

from catalog.errors import QueryTimeout, ShapesError
from catalog.settings import Settings
from catalog.validation import DEFAULT_SHAPES, load_shapes
from catalog.validation_runs import ShaclWorker

log = logging.getLogger(__name__)

#: Verdicts kept (digest -> the unit's violation messages; empty: conforms).
_CACHE_ENTRIES = 20_000
_VERDICTS: OrderedDict[str, tuple[str, ...]] = OrderedDict()
_VERDICTS_LOCK = threading.Lock()


def _digest(shapes: str, triples: Iterable[ox.Triple]) -> str:
    lines = sorted(str(t) for t in triples)
    return hashlib.sha256("\n".join([shapes, *lines]).encode("utf-8")).hexdigest()


def _node(term: ox.NamedNode | ox.BlankNode | ox.Triple) -> str:
    if isinstance(term, ox.NamedNode):
        return term.value
    return "_:" + term.value if isinstance(term, ox.BlankNode) else str(term)


class ExportConformance:
    """Violations of the units an export would write; one SHACL worker, started on first use
    and stopped by :meth:`close`. Thread-safe (one validation at a time)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.shapes_path = settings.shapes_path or DEFAULT_SHAPES
        self._worker: ShaclWorker | None = None
        self._lock = threading.Lock()

    def violations(self, units: dict[str, list[ox.Triple]]) -> dict[str, tuple[str, ...]]:
        """Unit key -> the messages of its violations (empty when it conforms)."""
        keys = {key: _digest(str(self.shapes_path), triples) for key, triples in units.items()}
        out: dict[str, tuple[str, ...]] = {}
        pending: dict[str, list[ox.Triple]] = {}
        with _VERDICTS_LOCK:
            for key, digest in keys.items():
                if digest in _VERDICTS:
                    _VERDICTS.move_to_end(digest)
                    out[key] = _VERDICTS[digest]
                else:
                    pending[key] = units[key]
        if pending:
            with self._lock:
                found = self._validate(pending)
            with _VERDICTS_LOCK:
                for key, messages in found.items():
                    out[key] = messages
                    if messages != _UNFINISHED:
                        _VERDICTS[keys[key]] = messages
                while len(_VERDICTS) > _CACHE_ENTRIES:
                    _VERDICTS.popitem(last=False)
        return out

    def _validate(self, units: dict[str, list[ox.Triple]]) -> dict[str, tuple[str, ...]]:
        batch = self.settings.validation_batch_datasets
        keys = sorted(units)
        out: dict[str, tuple[str, ...]] = {}
        for start in range(0, len(keys), batch):
            group = {k: units[k] for k in keys[start : start + batch]}
            out.update(self._group(group))
        return out

    def _group(self, group: dict[str, list[ox.Triple]]) -> dict[str, tuple[str, ...]]:
        """Validate ``group`` in one run; a run past the deadline, or a finding on a node no
        single unit describes, is settled unit by unit."""
        try:
            findings = self._run({t for triples in group.values() for t in triples})
        except (QueryTimeout, ShapesError) as exc:
            if len(group) == 1:
                log.warning("export conformance of %s not settled: %s", next(iter(group)), exc)
                return dict.fromkeys(group, _UNFINISHED)
            return {k: v for key in group for k, v in self._group({key: group[key]}).items()}
        subjects = {key: {_node(t.subject) for t in triples} for key, triples in group.items()}
        messages: dict[str, list[str]] = {key: [] for key in group}
        for focus, path, message in findings:
            owners = [key for key, nodes in subjects.items() if focus in nodes]
            if not owners:
                if len(group) == 1:
                    owners = list(group)
                else:
                    return {
                        k: v for key in group for k, v in self._group({key: group[key]}).items()
                    }
            for key in owners:
                messages[key].append(f"{focus} {path or ''}: {message}".strip())
        return {key: tuple(sorted(set(found))) for key, found in messages.items()}

    def _run(self, triples: set[ox.Triple]) -> list[tuple[str, str | None, str]]:
        if self._worker is None:
            self._worker = ShaclWorker(load_shapes(self.settings.shapes_path))
        data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
        found = self._worker.run(data, self.settings.validation_timeout_s)
        return [(f.focus, f.path, f.message) for f in found if f.severity == "violation"]

    def close(self) -> None:
        with self._lock:
            if self._worker is not None:
                self._worker.close()
                self._worker = None


#: The verdict of a unit that could not be validated in time (left out, never cached).
_UNFINISHED = ("not validated within validation_timeout_s",)
