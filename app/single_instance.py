"""One Brokerdeck window per installation: a second launch raises the first window instead of opening another.

The first window listens on a local socket named after the user and the config folder (so a
`BROKERDECK_HOME` sandbox or a test never meets the trader's own window). A second launch connects, asks
the first to raise its window, reports what happened and exits. A socket file left behind by a crash
refuses connections; it is removed and the new launch becomes the first.
"""

from __future__ import annotations

import getpass
import hashlib
from enum import Enum
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

RAISE_REQUEST = b"raise\n"
RAISED_ANSWER = b"raised\n"
CONNECT_PATIENCE_MS = 1000  # a live window accepts at once; a crashed one's socket refuses at once
ANSWER_PATIENCE_MS = 3000  # a window busy painting may take a moment to answer


class Claim(Enum):
    """What a launch found: it is the first window, or another one runs (raised, or silent)."""

    FIRST = "first"
    RAISED = "raised"
    RUNNING = "running"

    @property
    def message(self) -> str:
        if self is Claim.RAISED:
            return "Brokerdeck is already running; its window was raised."
        if self is Claim.RUNNING:
            return "Brokerdeck is already running, but its window did not answer; it was not raised."
        return ""


class InstanceGuardError(Exception):
    """The local socket could not be opened (so a second window could not be told apart)."""


def instance_name(config_dir: Path) -> str:
    """The socket's name: the same for every launch of one user's installation, different for any other."""
    key = f"{getpass.getuser()}\0{config_dir.expanduser().resolve()}".encode()
    return f"brokerdeck-{hashlib.sha256(key).hexdigest()[:20]}"


class InstanceGuard(QObject):
    """Claims the installation's socket; `activated` fires when a later launch asks for the window."""

    activated = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)  # no other user may knock
        self.server.newConnection.connect(self._accept)

    def claim(self) -> Claim:
        """Become the first window, or ask the running one to raise its window and say whether it did."""
        probe = QLocalSocket(self)
        probe.connectToServer(self.name)
        if probe.waitForConnected(CONNECT_PATIENCE_MS):
            raised = _ask_to_raise(probe)
            return Claim.RAISED if raised else Claim.RUNNING
        refused = probe.error() == QLocalSocket.LocalSocketError.ConnectionRefusedError
        probe.deleteLater()
        if refused:
            QLocalServer.removeServer(self.name)  # a crashed window's socket: nobody listens on it any more
        if not self.server.listen(self.name):
            raise InstanceGuardError(f"Could not open the local socket {self.name}: {self.server.errorString()}")
        return Claim.FIRST

    def release(self) -> None:
        self.server.close()

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            connection = self.server.nextPendingConnection()
            connection.readyRead.connect(lambda c=connection: self._answer(c))
            connection.disconnected.connect(connection.deleteLater)
            if connection.bytesAvailable():
                self._answer(connection)

    def _answer(self, connection: QLocalSocket) -> None:
        if not connection.canReadLine():
            return
        if bytes(connection.readLine().data()) == RAISE_REQUEST:
            self.activated.emit()
            connection.write(RAISED_ANSWER)
            connection.flush()
        connection.disconnectFromServer()


def _ask_to_raise(probe: QLocalSocket) -> bool:
    """Blocking on purpose: the second launch has no event loop yet and ends right after."""
    probe.write(RAISE_REQUEST)
    if not probe.waitForBytesWritten(ANSWER_PATIENCE_MS):
        return False
    while not probe.canReadLine():
        if not probe.waitForReadyRead(ANSWER_PATIENCE_MS):
            return False
    answered = bytes(probe.readLine().data()) == RAISED_ANSWER
    probe.disconnectFromServer()
    return answered
