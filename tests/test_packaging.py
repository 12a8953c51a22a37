"""The desktop entry and AppStream metadata agree with the package they describe."""

from __future__ import annotations

import configparser
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_ID = "io.brokerdeck.Brokerdeck"


def test_desktop_entry_launches_the_console_script():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(ROOT / "packaging" / f"{APP_ID}.desktop", encoding="utf-8")
    section = entry["Desktop Entry"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
    assert section["Type"] == "Application"
    assert section["Exec"].split()[0] in scripts
    assert section["Icon"] == APP_ID


def test_metainfo_names_the_desktop_entry_and_the_version():
    root = ET.parse(ROOT / "packaging" / f"{APP_ID}.metainfo.xml").getroot()
    version = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == f"{APP_ID}.desktop"
    assert root.find("releases/release").get("version") == version
    assert root.findtext("provides/binary") == "brokerdeck"


def test_the_app_announces_the_same_desktop_id():
    assert f'setDesktopFileName("{APP_ID}")' in (ROOT / "app" / "gui.py").read_text("utf-8")
