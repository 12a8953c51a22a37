"""The layering rule, enforced: brokers/ never imports Qt; widgets/ do no I/O and hold no secrets."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

QT = {"PySide6", "shiboken6", "qasync", "pyqtgraph", "PyQt5", "PyQt6", "PySide2", "qtpy"}
IO_AND_SECRETS = {
    "httpx",
    "websockets",
    "keyring",
    "secretstorage",
    "socket",
    "ssl",
    "subprocess",
    "requests",
    "urllib",
    "http",
    "sqlite3",
    "shutil",
    "tomllib",
    "platformdirs",
    "cryptography",
    "mcp",
    "uvicorn",
    "starlette",
    "asyncio",
}
RULES = {
    "brokers": QT | {"app", "widgets", "resources"},
    "widgets": IO_AND_SECRETS | {"brokers", "app"},
}


def imported_roots(source: str) -> set[str]:
    """Top-level module names a Python source imports, however it spells the import."""
    roots = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name | ast.Attribute)
            and getattr(node.func, "id", getattr(node.func, "attr", "")) in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            roots.add(str(node.args[0].value).split(".")[0])
    return roots


def violations(layer: str) -> list[str]:
    forbidden = RULES[layer]
    found = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        bad = imported_roots(path.read_text("utf-8")) & forbidden
        found.extend(f"{path.relative_to(ROOT)} imports {name}" for name in sorted(bad))
    return found


@pytest.mark.parametrize("layer", sorted(RULES))
def test_layer_imports_only_what_it_may(layer):
    assert list((ROOT / layer).rglob("*.py")), f"{layer}/ has no Python files to check"
    assert violations(layer) == []


def test_widgets_do_not_open_files():
    offenders = []
    for path in sorted((ROOT / "widgets").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "open":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.Attribute) and node.attr in {
                "read_text",
                "write_text",
                "read_bytes",
                "write_bytes",
            }:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import PySide6.QtCore", {"PySide6"}),
        ("from PySide6 import QtWidgets", {"PySide6"}),
        ("import os, qasync as q", {"os", "qasync"}),
        ("import importlib\nimportlib.import_module('pyqtgraph.exporters')", {"importlib", "pyqtgraph"}),
        ("from . import sibling", set()),
        ("def f():\n    import httpx\n", {"httpx"}),
    ],
)
def test_the_checker_sees_every_import_form(source, expected):
    assert imported_roots(source) == expected
