"""The one error contract: every failure a trader can act on is a `BrokerError`.

`str(error)` is a complete sentence that says what happened and what to do; `action` is the one
action that fixes it, so the window and the CLI can offer the right button or command without
parsing messages. Anything else that escapes is a bug and goes to the error reporter.
"""

from __future__ import annotations

from typing import ClassVar

from brokers.core.actions import NextAction


class BrokerError(Exception):
    """Base class of every expected failure; subclasses set `action`."""

    action: ClassVar[NextAction] = NextAction.RETRY
