"""Icons and the Qt style sheet, shipped inside the package."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def resource_path(name: str) -> Path:
    """The path of a bundled resource, e.g. `resource_path("style.qss")`."""
    return Path(str(files(__name__).joinpath(name)))
