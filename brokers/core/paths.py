"""Where Brokerdeck keeps its config, data and logs.

The core resolves these itself (not the app) because the sandbox and the CLI run without the GUI.
`BROKERDECK_HOME` moves everything under one folder: tests and portable installs use it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "brokerdeck"
HOME_ENV = "BROKERDECK_HOME"


@dataclass(frozen=True)
class Paths:
    """The folders of one Brokerdeck installation."""

    config_dir: Path
    data_dir: Path

    @property
    def profiles_file(self) -> Path:
        return self.config_dir / "profiles.toml"

    @property
    def ui_settings_file(self) -> Path:
        return self.config_dir / "ui.ini"

    @property
    def vault_dir(self) -> Path:
        return self.data_dir / "vault"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def sandbox_endpoints_file(self) -> Path:
        return self.data_dir / "sandbox" / "endpoints.json"

    @classmethod
    def resolve(cls, environ: os._Environ[str] | dict[str, str] | None = None) -> Paths:
        """Paths from `BROKERDECK_HOME` when set, otherwise the platform's user folders."""
        env = os.environ if environ is None else environ
        home = env.get(HOME_ENV, "").strip()
        if home:
            root = Path(home).expanduser().resolve()
            return cls(config_dir=root / "config", data_dir=root / "data")
        return cls(
            config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        )


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by the owner only; return it."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
