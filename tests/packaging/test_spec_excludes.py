"""The package leaves out what the app never loads: nothing the app imports may be on that list.

A Qt module left out of the spec is missing only in the frozen app, where the window then fails at start;
this catches it in `make test`, before anyone builds a package.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHIPPED = ("app", "brokers", "widgets", "resources")
IMPORT = re.compile(r"^\s*(?:from|import)\s+([A-Za-z_][\w.]*)", re.MULTILINE)


def _excludes() -> list[str]:
    tree = ast.parse((REPO / "packaging" / "brokerdeck.spec").read_text("utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "EXCLUDES" for t in node.targets):
            return list(ast.literal_eval(node.value))
    raise AssertionError("packaging/brokerdeck.spec has no EXCLUDES list")


def _imported() -> dict[str, Path]:
    """Every module the shipped code imports anywhere (at the top or inside a function), with one file that does."""
    found: dict[str, Path] = {}
    for package in SHIPPED:
        for source in sorted((REPO / package).rglob("*.py")):
            for name in IMPORT.findall(source.read_text("utf-8")):
                found.setdefault(name, source)
    return found


def test_nothing_the_app_imports_is_left_out_of_the_package():
    excludes = _excludes()
    assert "PySide6.QtQuickWidgets" in excludes  # the list was read
    imported = _imported()
    assert "PySide6.QtWidgets" in imported  # and so were the imports
    left_out = {
        name: str(where.relative_to(REPO))
        for name, where in imported.items()
        for excluded in excludes
        if name == excluded or name.startswith(excluded + ".")
    }
    assert left_out == {}, f"imported by the app but excluded in packaging/brokerdeck.spec: {left_out}"
