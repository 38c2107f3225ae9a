"""The layers stay true: dependencies point one way (see docs/architecture.md).

Every module is parsed with ``ast``, never imported, and every import counts, the lazy ones
inside functions and ``importlib.import_module("…")`` with a literal name included:

* ``catalog`` (the domain) imports nothing from ``connectors``, ``api``, ``cli`` or uvicorn;
* ``connectors/<name>`` imports from this project only ``catalog`` and its own package
  ``connectors.<name>``, never another connector;
* ``api`` imports nothing from ``connectors`` or ``cli``;
* ``cli`` may import everything.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = {"catalog", "connectors", "api", "cli", "tests", "bench"}
LAYERS = ("catalog", "connectors", "api", "cli")


@dataclass(frozen=True)
class Violation:
    """One import a layer must not make, where it is made."""

    path: str
    line: int
    imported: str
    rule: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: imports {self.imported} ({self.rule})"


def module_name(root: Path, path: Path) -> str:
    """The dotted name of the module at ``path`` under ``root``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module a (possibly relative) ``from … import`` reads from."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    drop = node.level - 1 if is_package else node.level
    base = base[: len(base) - drop] if drop else base
    return ".".join([*base, *([node.module] if node.module else [])])


def _literal_import(node: ast.Call) -> str | None:
    """The name in ``import_module("x")`` / ``importlib.import_module("x")`` /
    ``__import__("x")``, when it is a literal."""
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    if name not in {"import_module", "__import__"} or not node.args:
        return None
    first = node.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    return None


def imports_of(root: Path, path: Path) -> Iterator[tuple[int, str]]:
    """Every module (or ``module.name``) the file imports, with its line, at any depth."""
    module = module_name(root, path)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(module, is_package, node)
            if source.split(".")[0] in FIRST_PARTY:
                # ``from connectors import ckan`` imports ``connectors.ckan``: name it so
                for alias in node.names:
                    yield node.lineno, f"{source}.{alias.name}"
            else:
                yield node.lineno, source
        elif isinstance(node, ast.Call):
            name = _literal_import(node)
            if name is not None:
                yield node.lineno, name


def _under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def rule_broken(importer: str, imported: str) -> str | None:
    """Why module ``importer`` must not import ``imported``, or None if it may."""
    layer = importer.split(".")[0]
    if layer == "catalog":
        for banned in ("connectors", "api", "cli", "uvicorn"):
            if _under(imported, banned):
                return f"the domain never imports {banned}"
    elif layer == "connectors":
        if imported.split(".")[0] not in FIRST_PARTY:
            return None  # a third-party library
        parts = importer.split(".")
        own = ".".join(parts[:2]) if len(parts) > 1 else "connectors"
        if _under(imported, "catalog") or _under(imported, own):
            return None
        if _under(imported, "connectors"):
            return f"a connector imports only catalog and its own package {own}"
        return f"a connector imports only catalog and {own}, never {imported.split('.')[0]}"
    elif layer == "api":
        for banned in ("connectors", "cli"):
            if _under(imported, banned):
                return f"the API never imports {banned}"
    return None


def violations(root: Path, layers: tuple[str, ...] = LAYERS) -> list[Violation]:
    """Every import under ``root`` that breaks a layer rule, in file and line order."""
    found: list[Violation] = []
    for layer in layers:
        for path in sorted((root / layer).rglob("*.py")):
            importer = module_name(root, path)
            for line, imported in imports_of(root, path):
                rule = rule_broken(importer, imported)
                if rule is not None:
                    rel = path.relative_to(root).as_posix()
                    found.append(Violation(rel, line, imported, rule))
    return found


def test_the_layers_import_only_downwards() -> None:
    for layer in LAYERS:
        assert list((ROOT / layer).rglob("*.py")), f"{layer}/ has no modules: moved?"
    broken = violations(ROOT)
    assert not broken, "imports against the layers:\n" + "\n".join(map(str, broken))


# --- the checker catches what it must -----------------------------------------------------


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_planted_violation_is_reported_with_file_and_line(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "catalog/__init__.py": "",
            "catalog/harvest/__init__.py": "",
            "catalog/harvest/runner.py": (
                "import os\n"
                "from catalog.errors import HarvestError\n"
                "\n"
                "def run():\n"
                "    from connectors.ckan import CkanConnector  # lazy, still counted\n"
                "    import uvicorn\n"
                "    return CkanConnector\n"
            ),
            "catalog/late.py": "import importlib\nimportlib.import_module('api.app')\n",
            "connectors/__init__.py": "",
            "connectors/ckan/__init__.py": "from . import connector\n",
            "connectors/ckan/connector.py": (
                "import httpx\n"
                "from catalog.harvest.contract import Page\n"
                "from connectors.ckan.mapping import PackageMapper\n"
                "from ..dcat import DcatConnector\n"
                "from connectors import stac\n"
            ),
            "api/__init__.py": "",
            "api/app.py": "from catalog.service import Catalogue\nfrom cli.app import main\n",
            "cli/__init__.py": "",
            "cli/app.py": "from connectors.ckan import CkanConnector\nfrom api.app import x\n",
        },
    )
    found = [(v.path, v.line, v.imported) for v in violations(root)]
    assert found == [
        ("catalog/harvest/runner.py", 5, "connectors.ckan.CkanConnector"),
        ("catalog/harvest/runner.py", 6, "uvicorn"),
        ("catalog/late.py", 2, "api.app"),
        ("connectors/ckan/connector.py", 4, "connectors.dcat.DcatConnector"),
        ("connectors/ckan/connector.py", 5, "connectors.stac"),
        ("api/app.py", 2, "cli.app.main"),
    ]
    assert "catalog/harvest/runner.py:5: imports connectors.ckan" in str(violations(root)[0])


@pytest.mark.parametrize(
    ("importer", "imported", "allowed"),
    [
        ("catalog.harvest.runner", "catalog.harvest.paging", True),
        ("catalog.harvest.runner", "pyoxigraph", True),
        ("catalog.harvest.runner", "api.deps", False),
        ("catalog.server", "uvicorn.config", False),
        ("connectors.dsp.connector", "connectors.dsp.mapping", True),
        ("connectors.dsp.connector", "connectors.dspx.mapping", False),
        ("connectors.dsp.connector", "tests.loopback", False),
        ("connectors.dsp.connector", "httpx", True),
        ("api.routers.samples", "catalog.samples", True),
        ("api.routers.samples", "connectors.ckan", False),
        ("cli.harvest", "connectors.ckan", True),
    ],
)
def test_the_rules(importer: str, imported: str, allowed: bool) -> None:
    assert (rule_broken(importer, imported) is None) is allowed
