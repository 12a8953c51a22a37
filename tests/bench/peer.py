"""The ibind-style peer: a client that receives IBKR's WebSocket the way ibind does, to compare ingest with.

How ibind receives (github.com/Voyz/ibind, `ibind/base/ws_client.py` and `ibind/client/ibkr_ws_client.py`):
`WsClient` runs websocket-client's `WebSocketApp.run_forever(ping_interval=45, ...)` in a daemon thread;
its `on_message` callback runs in that thread, `json.loads` every frame, routes it on its `topic`, and for
market data renames the numeric field ids and puts `{conid: fields}` on a `queue.Queue` (one per channel);
the application drains that queue from its own thread (`QueueAccessor.get`).

The peer does the same receive, decode and hand-over: `run_forever` in a thread, `json.loads` per frame,
each parsed dict on a `queue.Queue`, a consumer thread draining it. It skips ibind's routing and field
renaming, so it does a little less work per frame than ibind.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Sequence
from typing import Any

import websocket

PING_INTERVAL_S = 45  # ibind's default, with its ping timeout of 95 % of it
WARM_UP_FRAMES = 2000


class IbindStylePeer:
    """One socket received in a thread, every frame decoded and queued, a second thread consuming the queue."""

    def __init__(self, url: str, cookie: str, subscriptions: Sequence[str]) -> None:
        self.consumed = 0
        self._subscriptions = subscriptions
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._app = websocket.WebSocketApp(
            url,
            header={"User-Agent": "brokerdeck"},
            cookie=f"api={cookie}",
            on_open=self._on_open,
            on_message=self._on_message,
        )
        self._receiver = threading.Thread(target=self._receive, name="peer-receive", daemon=True)
        self._consumer = threading.Thread(target=self._consume, name="peer-consume", daemon=True)

    def start(self) -> None:
        self._consumer.start()
        self._receiver.start()

    def stop(self) -> None:
        self._app.close()
        self._receiver.join(10)
        self._queue.put(None)
        self._consumer.join(10)

    def _receive(self) -> None:
        self._app.run_forever(ping_interval=PING_INTERVAL_S, ping_timeout=PING_INTERVAL_S * 0.95)

    def _on_open(self, app: websocket.WebSocketApp) -> None:
        for subscription in self._subscriptions:
            app.send(subscription)

    def _on_message(self, _app: websocket.WebSocketApp, message: str) -> None:
        self._queue.put(json.loads(message))

    def _consume(self) -> None:
        get = self._queue.get
        while get() is not None:
            self.consumed += 1


def peer_rate(url: str, cookie: str, subscriptions: Sequence[str], seconds: float) -> tuple[float, float]:
    """Frames/s the peer's consumer took off its queue, and this process's CPU µs per frame (all threads).

    Blocking: the caller runs it in a thread of its own (`asyncio.to_thread`)."""
    peer = IbindStylePeer(url, cookie, subscriptions)
    peer.start()
    try:
        deadline = time.monotonic() + 60
        while peer.consumed < WARM_UP_FRAMES:
            if time.monotonic() > deadline:
                raise TimeoutError("the ibind-style peer did not receive 2000 frames within 60 s")
            time.sleep(0.01)
        start_frames, start, cpu = peer.consumed, time.perf_counter(), time.process_time()
        time.sleep(seconds)
        frames = peer.consumed - start_frames
        return frames / (time.perf_counter() - start), (time.process_time() - cpu) / frames * 1e6
    finally:
        peer.stop()
