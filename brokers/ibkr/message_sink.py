"""A WebSocket client connection that hands each message to a callback the moment it is read.

websockets queues every message for `recv()`: a future, an assembler and an await per message, about
a third of what a market-data frame costs. The market stream needs none of that: it parses and merges
each frame at once on its own thread. Handshake, pings, close and size limits stay websockets' own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.frames import Frame, Opcode
from websockets.typing import BytesLike

type MessageSink = Callable[[BytesLike], None]


class MessageSinkConnection(ClientConnection):
    """Hands complete messages (text or binary, fragments joined) to the sink given to `attach`, in order."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sink: MessageSink | None = None
        self._early: list[BytesLike] = []  # messages read before `attach`
        self._parts: list[BytesLike] = []  # the frames of a fragmented message so far

    def attach(self, sink: MessageSink) -> None:
        """Send every message to `sink` from now on, starting with any read since the handshake."""
        self._sink = sink
        early, self._early = self._early, []
        for message in early:
            sink(message)

    def process_event(self, event: Any) -> None:
        if type(event) is not Frame:  # the handshake response
            super().process_event(event)
            return
        opcode = event.opcode
        if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
            if event.fin and self._sink is not None:
                self._sink(event.data)  # the hot path: one frame, one message
                return
            self._parts = [event.data]
        elif opcode is Opcode.CONT:
            self._parts.append(event.data)
        else:  # ping, pong, close: websockets answers them
            super().process_event(event)
            return
        if event.fin:
            message = b"".join(self._parts)
            self._parts = []
            if self._sink is None:
                self._early.append(message)
            else:
                self._sink(message)
