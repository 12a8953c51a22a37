"""The menu's "Rotate keys…": for the profile the connections detail shows, when its credentials rotate.

Which profiles rotate is the app's answer (their connectors say so); the action only follows the selected
profile and asks for the wizard.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction

NO_PROFILE_TIP = "Select a profile in the connections detail first"
NOT_ROTATING_TIP = "{name}'s credentials are not rotated by hand here"


class RotateKeysAction(QAction):
    """Enabled only while the selected profile is one whose credentials rotate by hand."""

    requested = Signal(str)  # profile

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__("Rotate &keys…", parent)
        self.setObjectName("rotateKeysAction")
        self.rotating: frozenset[str] = frozenset()
        self.profile = ""
        self.triggered.connect(self._request)
        self._sync()

    def show_rotating(self, names: Iterable[str]) -> None:
        """The profiles whose credentials rotate by hand, as the app last found them."""
        self.rotating = frozenset(names)
        self._sync()

    def select_profile(self, name: str) -> None:
        self.profile = name
        self._sync()

    def _sync(self) -> None:
        enabled = self.profile in self.rotating
        self.setEnabled(enabled)
        self.setText(f"Rotate &keys of {self.profile}…" if enabled else "Rotate &keys…")
        if enabled:
            tip = f"Make new credentials for {self.profile}, prove them, then switch"
        else:
            tip = NOT_ROTATING_TIP.format(name=self.profile) if self.profile else NO_PROFILE_TIP
        self.setToolTip(tip)
        self.setStatusTip(tip)

    def _request(self) -> None:
        if self.profile in self.rotating:
            self.requested.emit(self.profile)
