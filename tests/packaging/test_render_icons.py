"""The app icon's PNG sizes are drawn from its SVG, at the sizes desktops ask for, in the hicolor layout."""

from __future__ import annotations

import importlib.util

from PySide6.QtGui import QImage

from resources import resource_path
from tests.sandbox_runner import REPO_ROOT

APP_ID = "io.brokerdeck.Brokerdeck"


def load_render_icons():
    """packaging/render_icons.py is a build script, and `packaging` is also a PyPI package's name: load it by path."""
    spec = importlib.util.spec_from_file_location("render_icons", REPO_ROOT / "packaging" / "render_icons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_size_is_drawn_from_the_svg_into_the_hicolor_layout(qapp, tmp_path):
    render_icons = load_render_icons()
    written = render_icons.render_icons(resource_path("icons/brokerdeck.svg"), tmp_path / "hicolor", APP_ID)

    assert {p.relative_to(tmp_path / "hicolor").as_posix() for p in written} == {
        *(f"{n}x{n}/apps/{APP_ID}.png" for n in render_icons.SIZES),
        f"scalable/apps/{APP_ID}.svg",
    }
    for size in render_icons.SIZES:
        image = QImage(str(tmp_path / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"))
        assert (image.width(), image.height()) == (size, size)
        assert image.pixelColor(0, 0).alpha() == 0  # the rounded corner stays see-through
        assert image.pixelColor(size // 2, size // 2).alpha() == 255  # the icon itself is drawn
