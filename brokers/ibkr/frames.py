"""IBKR WebSocket frames, parsed into small typed values. Pure and fast: this runs once per frame.

Frames are JSON objects with a `topic` (IBKR Client Portal API v1 `/ws`). Values stay strings here,
exactly as IBKR sends them (`"C189.60"`, `"1,300"`); the value parsers below turn them into numbers
when the book merges them. Nothing here raises for any input: a frame that is not what IBKR sends
becomes `Malformed`, a well-formed frame this client does not consume becomes `Ignored`.

JSON is decoded by msgspec (C): about a third of the standard library's cost per frame. It is strict
where the standard library is lenient: NaN/Infinity literals, numbers beyond a double and unpaired
surrogate escapes make a frame `Malformed`; IBKR sends none of them.
"""

from __future__ import annotations

from typing import Any

import msgspec

# untyped: an smd frame's members are IBKR's open-ended field ids, and the decoded dict itself becomes
# `MarketData.fields`, so a typed Struct would only add a copy
_decode = msgspec.json.Decoder().decode
_join = "".join


class Frame:
    """Base of every parsed frame."""

    __slots__: tuple[str, ...] = ()

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({values})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(getattr(self, n) == getattr(other, n) for n in self.__slots__)

    __hash__ = None  # type: ignore[assignment]


class MarketData(Frame):
    """An `smd` update: only the fields that changed, except for the first one after a subscribe.

    `fields` is every string member but the envelope (topic, conid, conidEx, server_id, _updated):
    IBKR's numeric field ids, plus any string extra IBKR may add, which the book ignores.
    """

    __slots__ = ("conid", "fields", "updated_ms")

    def __init__(self, conid: int, fields: dict[str, str], updated_ms: int | None) -> None:
        self.conid = conid
        self.fields = fields
        self.updated_ms = updated_ms


class Depth(Frame):
    """An `sbd` price ladder; `rows` are the raw row objects, each checked to be a dict."""

    __slots__ = ("account", "conid", "rows")

    def __init__(self, account: str, conid: int, rows: list[dict[str, Any]]) -> None:
        self.account = account
        self.conid = conid
        self.rows = rows


class Heartbeat(Frame):
    __slots__ = ("epoch_ms",)

    def __init__(self, epoch_ms: int) -> None:
        self.epoch_ms = epoch_ms


class SystemHello(Frame):
    __slots__ = ("username",)

    def __init__(self, username: str) -> None:
        self.username = username


class Status(Frame):
    """An `sts` frame. Only an explicit `authenticated: false` means the brokerage session dropped."""

    __slots__ = ("authenticated", "competing", "connected", "message")

    def __init__(self, authenticated: bool, competing: bool, connected: bool, message: str) -> None:
        self.authenticated = authenticated
        self.competing = competing
        self.connected = connected
        self.message = message


class TicReply(Frame):
    """The answer to `tic` or `ech+hb`. The `id` IBKR echoes is the session cookie, so it is not kept."""

    __slots__ = ("alive", "last_accessed_ms", "topic")

    def __init__(self, topic: str, alive: bool, last_accessed_ms: int | None) -> None:
        self.topic = topic
        self.alive = alive
        self.last_accessed_ms = last_accessed_ms


class Account(Frame):
    __slots__ = ("accounts", "is_paper", "selected")

    def __init__(self, accounts: tuple[str, ...], selected: str, is_paper: bool) -> None:
        self.accounts = accounts
        self.selected = selected
        self.is_paper = is_paper


class ErrorFrame(Frame):
    """A frame carrying `error`, e.g. the market-data line limit (`code` "lines")."""

    __slots__ = ("code", "message", "topic")

    def __init__(self, topic: str, message: str, code: str) -> None:
        self.topic = topic
        self.message = message
        self.code = code


class OrderRows(Frame):
    """A `sor` frame: live order rows, each a dict carrying `orderId`; after the first, sparse (changed fields only)."""

    __slots__ = ("rows",)

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows


class ExecutionRows(Frame):
    """A `str` frame: execution rows, each a dict; the stream checks each row's id, size and price."""

    __slots__ = ("rows",)

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows


class Ignored(Frame):
    """Well-formed, but a topic this client does not consume (ntf, blt, spl, …)."""

    __slots__ = ("topic",)

    def __init__(self, topic: str) -> None:
        self.topic = topic


class Malformed(Frame):
    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


# ---- frames ------------------------------------------------------------------------------------

_NOT_JSON = Malformed("not JSON")
_NOT_OBJECT = Malformed("not a JSON object")
_NO_TOPIC = Malformed("no topic")


def parse_frame(text: str | bytes | bytearray | memoryview) -> Frame:
    """One server frame, as text or as the UTF-8 bytes websockets read. Never raises."""
    try:
        msg = _decode(text)
    except (ValueError, TypeError, RecursionError):  # msgspec.DecodeError and UnicodeEncodeError are ValueErrors
        return _NOT_JSON
    if type(msg) is not dict:
        return _NOT_OBJECT
    topic = msg.get("topic")
    if type(topic) is not str:
        if "error" in msg:
            return _error(msg, "")
        return _NO_TOPIC
    if topic.startswith("smd+"):
        return _market_data(msg, topic)
    try:
        if "error" in msg:
            return _error(msg, topic)
        if topic == "system":
            return _system(msg)
        if topic.startswith("sbd+"):
            return _depth(msg, topic)
        if topic == "sts":
            return _status(msg)
        if topic == "tic" or topic == "ech+hb":
            accessed = msg.get("lastAccessed")
            return TicReply(topic, msg.get("alive") is True, accessed if type(accessed) is int else None)
        if topic == "act":
            return _account(msg)
        if topic == "sor" or topic.startswith("sor+"):
            return _order_rows(msg)
        if topic == "str" or topic.startswith("str+"):
            return _execution_rows(msg)
    except (TypeError, ValueError, AttributeError) as exc:  # defensive: a shape no branch anticipated
        return Malformed(f"{topic[:40]}: {type(exc).__name__}")
    return Ignored(topic[:80])


def _market_data(msg: dict[str, Any], topic: str) -> Frame:
    """The hot path. The decoded dict itself becomes `fields` once the envelope keys are popped off."""
    if "error" in msg:
        return _error(msg, topic)
    pop = msg.pop
    del msg["topic"]
    conid = pop("conid", None)
    updated = pop("_updated", None)
    pop("conidEx", None)
    pop("server_id", None)
    if type(conid) is not int:
        conid = _topic_int(topic, 4)
        if conid is None:
            return Malformed("smd without an integer conid")
    try:
        _join(msg.values())  # raises TypeError unless every value is a string: one C call
    except TypeError:
        fields: dict[str, str] = {}
        for key, value in msg.items():
            if type(value) is str:
                fields[key] = value
            elif key.isdigit():
                return Malformed(f"smd field {key[:12]} is not a string")
        msg = fields
    return MarketData(conid, msg, updated if type(updated) is int else None)


def _depth(msg: dict[str, Any], topic: str) -> Frame:
    parts = topic.split("+")
    if len(parts) < 3 or not parts[1]:
        return Malformed("sbd topic without account and conid")
    conid = _topic_int(parts[2], 0)
    if conid is None:
        return Malformed("sbd topic without an integer conid")
    rows = msg.get("data")
    if type(rows) is not list or not all(type(row) is dict for row in rows):
        return Malformed("sbd data is not a list of rows")
    return Depth(parts[1], conid, rows)


def _system(msg: dict[str, Any]) -> Frame:
    hb = msg.get("hb")
    if hb is not None:
        return Heartbeat(hb) if type(hb) is int else Malformed("heartbeat without integer epoch ms")
    success = msg.get("success")
    if type(success) is str:
        return SystemHello(success)
    return Ignored("system")


def _status(msg: dict[str, Any]) -> Frame:
    args = msg.get("args")
    if type(args) is not dict:
        return Malformed("sts without args")
    message = args.get("message") or args.get("fail") or ""
    return Status(
        args.get("authenticated") is not False,
        args.get("competing") is True,
        args.get("connected") is not False,
        message if type(message) is str else "",
    )


def _account(msg: dict[str, Any]) -> Frame:
    args = msg.get("args")
    if type(args) is not dict:
        return Malformed("act without args")
    accounts = args.get("accounts")
    if type(accounts) is not list or not all(type(a) is str for a in accounts):
        return Malformed("act accounts is not a list of strings")
    selected = args.get("selectedAccount")
    return Account(tuple(accounts), selected if type(selected) is str else "", args.get("isPaper") is True)


def _order_rows(msg: dict[str, Any]) -> Frame:
    rows = msg.get("args")
    if type(rows) is not list or not all(type(row) is dict for row in rows):
        return Malformed("sor args is not a list of rows")
    if not all(type(row.get("orderId")) is int or _digits(row.get("orderId")) for row in rows):
        return Malformed("sor row without an orderId")
    return OrderRows(rows)


def _execution_rows(msg: dict[str, Any]) -> Frame:
    rows = msg.get("args")
    if type(rows) is not list or not all(type(row) is dict for row in rows):
        return Malformed("str args is not a list of rows")
    return ExecutionRows(rows)


def _digits(value: object) -> bool:
    return type(value) is str and value.isascii() and value.isdigit()


def _error(msg: dict[str, Any], topic: str) -> Frame:
    message = msg.get("error")
    code = msg.get("code")
    return ErrorFrame(
        topic[:80],
        message[:300] if type(message) is str else f"<{type(message).__name__}>",
        code if type(code) is str else str(code) if type(code) is int else "",
    )


def _topic_int(text: str, start: int) -> int | None:
    digits = text[start:]
    end = digits.find("+")
    if end >= 0:
        digits = digits[:end]
    return int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 19 else None


def topic_conid(topic: str) -> int | None:
    """The conid of an `smd+CONID` (or `sbd+ACCT+CONID`) topic, or None."""
    if topic.startswith("smd+"):
        return _topic_int(topic, 4)
    if topic.startswith("sbd+"):
        parts = topic.split("+")
        return _topic_int(parts[2], 0) if len(parts) > 2 else None
    return None


# ---- values ------------------------------------------------------------------------------------

_PRICE_PREFIXES = frozenset("CH")
_MAX_SIZE = 1e15  # far beyond any day's volume; bigger is garbage, not a size
_SIZE_SUFFIX = {"K": 1_000, "M": 1_000_000, "B": 1_000_000_000}


def parse_number(text: str) -> float | None:
    """A finite decimal as Python's float() reads it, thousands separators allowed; else None.

    float() straight away: it is the common case and ~4x cheaper than validating the text beforehand.
    """
    try:
        if "," in text:
            text = text.replace(",", "")
        value = float(text)
    except (ValueError, TypeError, AttributeError):
        return None
    return value if value - value == 0.0 else None  # rejects nan and ±inf


def parse_price(text: str) -> tuple[float, str] | None:
    """`"C189.60"` → `(189.6, "C")`; the prefix is "" for a plain price, "C" prior close, "H" halted."""
    value = parse_number(text)
    if value is not None:
        return value, ""
    if type(text) is not str or not text or text[0] not in _PRICE_PREFIXES:
        return None
    value = parse_number(text[1:])
    return None if value is None else (value, text[0])


def parse_size(text: str) -> int | None:
    """`"1,300"` → 1300. IBKR's field docs say volume (87) may be abbreviated: `"1.5K"`, `"2.31M"`."""
    if type(text) is not str:
        return None
    digits = text.replace(",", "") if "," in text else text
    if digits.isdecimal() and len(digits) < 16:  # the common case, without a float round trip
        return int(digits)
    value = parse_number(digits)
    if value is None:
        if not text or (scale := _SIZE_SUFFIX.get(text[-1])) is None:
            return None
        value = parse_number(text[:-1])
        if value is None or value < 0 or value * scale >= _MAX_SIZE:
            return None
        return round(value * scale)
    if value < 0 or value >= _MAX_SIZE or not value.is_integer():
        return None
    return int(value)


def parse_ladder_price(text: object) -> tuple[float, int | None] | None:
    """A ladder row's price: `"190.05"` → `(190.05, None)`, `"100 @ 190.05"` → `(190.05, 100)`."""
    if type(text) is not str:
        return None
    size: int | None = None
    at = text.find("@")
    if at >= 0:
        size = parse_size(text[:at].strip())
        if size is None:
            return None
        text = text[at + 1 :]
    price = parse_number(text)
    if price is None or price < 0:
        return None
    return price, size
