"""What the emulated IBKR knows about each consumer: keys, access token, issued LSTs, its session.

A consumer's keys can be rotated in the portal: the new keys get a new access token and secret, and the
earlier tokens keep working for a grace period (`Grant`). All state lives in memory for one sandbox run.
Handlers are async and never await between reading and updating this state, so the single event loop
serialises every change without locks.
"""

from __future__ import annotations

import hmac
import secrets
import time
import zlib
from dataclasses import dataclass, field, replace
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from brokers.sandbox.ibkr.crypto import OAuthError, parse_authorization

DEFAULT_LST_LIFETIME_S = 24 * 3600
DEFAULT_ACCOUNTS = ("DU1234567",)
DEFAULT_GRACE_S = 24 * 3600  # how long a rotated-out access token keeps working
TIMESTAMP_WINDOW_S = 300
TEST_CONSUMER = "TESTCONS"
SERVER_INFO = {"serverName": "JifN19053", "serverVersion": "Build 10.25.0p, Dec 5, 2023 5:48:12 PM"}
_KEPT_TOKENS = 16
_REQUIRED = ("oauth_consumer_key", "oauth_token", "oauth_signature_method", "oauth_signature", "oauth_timestamp")
_MAC = "98:F2:B3:23:BF:A0"
_SECRET_BYTES = (20, 32)


@dataclass
class IssuedToken:
    """One minted LST: the HMAC key it stands for, when it was minted and when IBKR stops accepting it (epoch s),
    and the access token it was minted with (signed requests must name that token)."""

    key: bytes
    issued_at: float
    expires_at: float
    access_token: str = ""


@dataclass(frozen=True)
class Grant:
    """One access token of a consumer with the keys registered when it was issued, while IBKR accepts it."""

    access_token: str
    secret: bytes
    signature_key: rsa.RSAPublicKey
    encryption_key: rsa.RSAPublicKey
    dh_prime: int
    valid_until: float | None = None  # None: the current token; else the end of its grace period (epoch s)
    refused: bool = False  # a control made it fail validation: IBKR refuses every LST request with it


@dataclass
class Session:
    """The SSO session a tickle reports, plus the brokerage (iserver) session ssodh/init starts."""

    session_id: str = field(default_factory=lambda: secrets.token_hex(16))
    last_seen: float = field(default_factory=time.monotonic)
    brokerage: bool = False
    accounts_queried: bool = False
    snapshot_fields: dict[int, set[str]] = field(default_factory=dict)

    def auth_status(self, competing: bool) -> dict[str, Any]:
        """The /iserver/auth/status body; tickle embeds it too."""
        return {
            "authenticated": self.brokerage,
            "competing": competing,
            "connected": self.brokerage,
            "message": "",
            "MAC": _MAC,
            "serverInfo": dict(SERVER_INFO),
            "hardware_info": f"0ae8e7ef|{_MAC}",
            "fail": "",
        }


@dataclass
class Consumer:
    """One registered consumer key, as IBKR's self-service portal leaves it."""

    consumer_key: str
    realm: str
    signature_key: rsa.RSAPublicKey
    encryption_key: rsa.RSAPublicKey
    dh_prime: int
    lst_lifetime_s: int = DEFAULT_LST_LIFETIME_S
    accounts: tuple[str, ...] = DEFAULT_ACCOUNTS
    paper_410: bool = False
    access_token: str = field(default_factory=lambda: secrets.token_hex(10))
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(_secret_length()))
    tokens: list[IssuedToken] = field(default_factory=list)
    nonces: dict[str, float] = field(default_factory=dict)
    session: Session | None = None
    credential: str | None = None
    """The IBKR username of an OAuth 2.0 SSO principal (`oauth2_sessions.py`); None for an OAuth 1.0a consumer."""
    retired: list[Grant] = field(default_factory=list)  # tokens a rotation replaced, each until its grace ends
    refused: bool = False  # the current token fails validation (a control armed it before it was issued)
    refuse_next: bool = False  # the next rotation's token will fail validation
    grace_s: float = DEFAULT_GRACE_S

    @property
    def username(self) -> str:
        """The username the stream greets with."""
        return self.credential or self.consumer_key.lower()

    @property
    def user_id(self) -> int:
        """A stable eight-digit user id, as tickle reports one."""
        return 10_000_000 + zlib.crc32(self.consumer_key.encode("utf-8")) % 90_000_000

    def current_grant(self) -> Grant:
        """The current access token with the keys it was issued for."""
        keys = (self.signature_key, self.encryption_key, self.dh_prime)
        return Grant(self.access_token, self.secret, *keys, valid_until=None, refused=self.refused)

    def grant(self, access_token: str, now: float) -> Grant | None:
        """What `access_token` stands for while IBKR accepts it: the current token, or an earlier one within its
        grace period; None for any other."""
        if hmac.compare_digest(access_token.encode(), self.access_token.encode()):
            return self.current_grant()
        return next(
            (
                grant
                for grant in self.retired
                if (grant.valid_until or 0) > now
                and hmac.compare_digest(access_token.encode(), grant.access_token.encode())
            ),
            None,
        )

    def rotate(
        self, signature_key: rsa.RSAPublicKey, encryption_key: rsa.RSAPublicKey, dh_prime: int, now: float
    ) -> None:
        """New keys registered in the portal: a new access token and secret for them. The current token keeps
        working (with the keys it was issued for) until the grace period ends; its LSTs and session stay."""
        self.retired = [g for g in self.retired if (g.valid_until or 0) > now]
        self.retired.append(replace(self.current_grant(), valid_until=now + self.grace_s))
        self.signature_key, self.encryption_key, self.dh_prime = signature_key, encryption_key, dh_prime
        self.access_token = secrets.token_hex(10)
        self.secret = secrets.token_bytes(_secret_length())
        self.refused, self.refuse_next = self.refuse_next, False

    def end_grace(self, now: float) -> int:
        """Revoke every rotated-out token now, with the LSTs minted with them; how many tokens were revoked."""
        revoked = {g.access_token for g in self.retired if (g.valid_until or 0) > now}
        self.retired = []
        for token in self.tokens:
            if token.access_token in revoked:
                token.expires_at = min(token.expires_at, now)
        return len(revoked)

    def issue(self, lst_key: bytes, now: float, access_token: str = "") -> IssuedToken:
        """Record a freshly minted LST; older ones stay valid until they expire."""
        token = IssuedToken(key=lst_key, issued_at=now, expires_at=now + self.lst_lifetime_s, access_token=access_token)
        self.tokens = [*self.tokens[-(_KEPT_TOKENS - 1) :], token]
        return token

    def expire_tokens(self, now: float) -> int:
        """Make every issued LST expired at `now`; the count is what was still live."""
        live = [t for t in self.tokens if t.expires_at > now]
        for token in live:
            token.expires_at = now
        return len(live)

    def age(self, seconds: float) -> None:
        """Move this consumer's clock `seconds` on: its LSTs were minted, and its session last used, that
        much earlier. Every check still runs against the real clock; nonces are left alone, since
        forgetting them early would let a replayed request (whose timestamp is still fresh) through."""
        for token in self.tokens:
            token.issued_at -= seconds
            token.expires_at -= seconds
        self.retired = [replace(g, valid_until=(g.valid_until or 0) - seconds) for g in self.retired]
        if self.session is not None:
            self.session.last_seen -= seconds

    def nonce_used(self, nonce: str, now: float) -> bool:
        """Whether `nonce` was accepted within the window a timestamp may still be replayed in."""
        horizon = now - 2 * TIMESTAMP_WINDOW_S
        self.nonces = {n: t for n, t in self.nonces.items() if t > horizon}
        return nonce in self.nonces

    def remember_nonce(self, nonce: str, now: float) -> None:
        self.nonces[nonce] = now

    def current_session(self, idle_timeout_s: float) -> Session:
        """The live session, touched; a session idle for longer than the timeout is gone."""
        now = time.monotonic()
        if self.session is not None and now - self.session.last_seen > idle_timeout_s:
            self.session = None
        if self.session is None:
            self.session = Session()
        self.session.last_seen = now
        return self.session

    def end_session(self) -> None:
        self.session = None


def _secret_length() -> int:
    low, high = _SECRET_BYTES
    return low + secrets.randbelow(high - low + 1)


class OAuthRejected(Exception):
    """Refuse a request with HTTP `status` and IBKR's `{"error", "statusCode"}` body."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


class ConsumerRegistry:
    """The consumers of one sandbox, by consumer key."""

    def __init__(self) -> None:
        self._consumers: dict[str, Consumer] = {}

    def get(self, consumer_key: str) -> Consumer | None:
        return self._consumers.get(consumer_key)

    def all(self) -> list[Consumer]:
        """Every registered consumer (a WebSocket knows only its access token, not the key)."""
        return list(self._consumers.values())

    def register(self, consumer: Consumer) -> Consumer:
        """Add or replace a consumer; a re-registration drops the old token, secret, LSTs and session."""
        self._consumers[consumer.consumer_key] = consumer
        return consumer

    def check(self, header: str | None, method: str, *required: str) -> tuple[Consumer, dict[str, str]]:
        """The consumer a request's OAuth header speaks for, checked up to (not including) its signature.

        The consumer and token errors carry IBKR's own messages, so clients can match on them.
        """
        if not header:
            raise OAuthRejected("missing OAuth Authorization header")
        try:
            params = parse_authorization(header)
        except OAuthError as exc:
            raise OAuthRejected(str(exc)) from None
        missing = [p for p in (*_REQUIRED, "oauth_nonce", "realm", *required) if p not in params]
        if missing:
            raise OAuthRejected(f"missing OAuth parameter(s): {', '.join(missing)}")
        consumer = self.get(params["oauth_consumer_key"])
        if consumer is None or consumer.credential is not None:  # an SSO principal signs nothing
            raise OAuthRejected("id: 3931, error: invalid consumer")
        now = time.time()
        token = params["oauth_token"]
        if consumer.grant(token, now) is None:
            if method == "RSA-SHA256":
                raise OAuthRejected(f"id: 118871, error: LST failed, error: No access secret key found for {token}")
            raise OAuthRejected(f"invalid oauth_token {token!r} for consumer {consumer.consumer_key}")
        if params["oauth_signature_method"] != method:
            raise OAuthRejected(f"oauth_signature_method must be {method}, not {params['oauth_signature_method']!r}")
        if params["realm"] != consumer.realm:
            raise OAuthRejected(f"invalid realm {params['realm']!r}; {consumer.consumer_key} uses {consumer.realm!r}")
        stamp = params["oauth_timestamp"]
        if not stamp.isdigit() or abs(int(stamp) - now) > TIMESTAMP_WINDOW_S:
            raise OAuthRejected(f"oauth_timestamp {stamp!r} is not within {TIMESTAMP_WINDOW_S} s of {int(now)}")
        if consumer.nonce_used(params["oauth_nonce"], now):
            raise OAuthRejected(f"oauth_nonce {params['oauth_nonce']!r} was already used")
        return consumer, params
