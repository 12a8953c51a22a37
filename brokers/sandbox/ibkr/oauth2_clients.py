"""The OAuth 2.0 clients IBKR knows, their public keys by kid, and the checks on their signed assertions.

IBKR has no self-service portal for OAuth 2.0: a firm emails its public key and gets a client id.
Here a sandbox control stands in for that email (`oauth2_routes.py`). Every assertion a client
signs, for the token endpoint or for an SSO session, is checked against the key its `kid` names.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from brokers.sandbox.ibkr.consumers import DEFAULT_ACCOUNTS
from brokers.sandbox.ibkr.jws import CompactJws, JwsError, parse

MIN_RSA_BITS = 3072
CLOCK_SKEW_S = 5.0
MAX_TOKEN_ASSERTION_S = 600
MAX_SSO_ASSERTION_S = 86400
TOKEN_AUDIENCE = "/token"  # noqa: S105 - the audience IBKR names, not a secret
_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_ACCOUNT = re.compile(r"[A-Z]{1,3}[0-9]{5,8}")


class AssertionRejected(ValueError):
    """An assertion fails a check; the message says which, for the sandbox's log (IBKR's body never does)."""


@dataclass
class Oauth2Client:
    """One registered client: the IBKR username it signs in as, its accounts, its public keys by kid."""

    client_id: str
    credential: str
    accounts: tuple[str, ...]
    keys: dict[str, rsa.RSAPublicKey] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """What the control lists: everything but the keys themselves."""
        return {
            "client_id": self.client_id,
            "key_ids": sorted(self.keys),
            "credential": self.credential,
            "accounts": list(self.accounts),
        }


def _identifier(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise ValueError(f"'{name}' must be 1 to 64 characters from A-Z a-z 0-9 . _ -")
    return value


def _public_key(pem: Any) -> rsa.RSAPublicKey:
    if not isinstance(pem, str):
        raise ValueError("'public_key_pem' must be a PEM string")
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise ValueError("'public_key_pem' is not a PEM public key") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("'public_key_pem' must be an RSA public key (RS256 is the only algorithm)")
    if key.key_size < MIN_RSA_BITS:
        raise ValueError(f"the RSA key has {key.key_size} bits; IBKR's OAuth 2.0 requires at least {MIN_RSA_BITS}")
    return key


def _accounts(body: dict[str, Any]) -> tuple[str, ...]:
    accounts = body.get("accounts", list(DEFAULT_ACCOUNTS))
    if (
        not isinstance(accounts, list)
        or not accounts
        or not all(isinstance(a, str) and _ACCOUNT.fullmatch(a) for a in accounts)
    ):
        raise ValueError("'accounts' must be a non-empty list of account ids such as DU1234567")
    return tuple(accounts)


def _number(claims: dict[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AssertionRejected(f"the '{name}' claim must be a number of seconds since the epoch")
    return float(value)


class Oauth2Clients:
    """The clients of one sandbox, by client id, and the `jti`s their assertions have used."""

    def __init__(self) -> None:
        self._clients: dict[str, Oauth2Client] = {}
        self._used_jtis: dict[tuple[str, str], float] = {}

    def get(self, client_id: str) -> Oauth2Client | None:
        return self._clients.get(client_id)

    def all(self) -> list[Oauth2Client]:
        return list(self._clients.values())

    def register(self, body: Any) -> tuple[Oauth2Client, str]:
        """Add a client, or a key to an existing one (IBKR changes the kid when a key rotates).

        Returns the client and the kid just registered; ValueError names the field that is wrong.
        """
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        key = _public_key(body.get("public_key_pem"))
        key_id = _identifier(body, "key_id")
        credential = _identifier(body, "credential")
        client_id = _identifier(body, "client_id") if "client_id" in body else f"BD{secrets.token_hex(4).upper()}"
        accounts = _accounts(body)
        holder = next((c for c in self._clients.values() if c.credential == credential), None)
        if holder is not None and holder.client_id != client_id:
            raise ValueError(f"the credential {credential!r} already belongs to client {holder.client_id}")
        client = self._clients.setdefault(client_id, Oauth2Client(client_id, credential, accounts))
        client.credential, client.accounts = credential, accounts
        client.keys[key_id] = key
        return client, key_id

    def _verified(self, token: str, now: float, max_lifetime_s: float) -> tuple[Oauth2Client, dict[str, Any]]:
        """The client whose key signed `token`, and its claims, with the checks both assertions share."""
        try:
            jws: CompactJws = parse(token)
        except JwsError as exc:
            raise AssertionRejected(str(exc)) from None
        if jws.header.get("alg") != "RS256":
            raise AssertionRejected(f"alg {jws.header.get('alg')!r} is refused; only RS256 is accepted")
        claims = jws.claims
        client = self._clients.get(claims["iss"]) if isinstance(claims.get("iss"), str) else None
        if client is None:
            raise AssertionRejected(f"no client is registered as iss {claims.get('iss')!r}")
        kid = jws.header.get("kid")
        key = client.keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise AssertionRejected(f"client {client.client_id} has no key with kid {kid!r}")
        if not jws.signed_by(key):
            raise AssertionRejected(f"the signature does not verify against key {kid!r} of {client.client_id}")
        issued, expires = _number(claims, "iat"), _number(claims, "exp")
        if issued > now + CLOCK_SKEW_S:
            raise AssertionRejected(f"iat {issued:.0f} is in the future (now {now:.0f})")
        if expires <= now - CLOCK_SKEW_S:
            raise AssertionRejected(f"the assertion expired at {expires:.0f} (now {now:.0f})")
        if expires - issued > max_lifetime_s:
            raise AssertionRejected(f"exp - iat is {expires - issued:.0f} s; at most {max_lifetime_s:.0f} s")
        return client, claims

    def _spend_jti(self, client_id: str, claims: dict[str, Any], now: float) -> None:
        """A `jti` is optional; one that is sent may not be used again until its assertion expires.

        Called once every other check has passed, so a refused assertion does not use its jti up.
        """
        if "jti" not in claims:
            return
        jti = claims["jti"]
        if not isinstance(jti, str) or not jti:
            raise AssertionRejected("the 'jti' claim must be a non-empty string")
        self._used_jtis = {k: exp for k, exp in self._used_jtis.items() if exp > now - CLOCK_SKEW_S}
        if (client_id, jti) in self._used_jtis:
            raise AssertionRejected(f"jti {jti!r} was already used")
        self._used_jtis[(client_id, jti)] = _number(claims, "exp")

    def token_assertion(self, token: str, now: float) -> Oauth2Client:
        """The client a token endpoint `client_assertion` authenticates: iss == sub == client, aud "/token"."""
        client, claims = self._verified(token, now, MAX_TOKEN_ASSERTION_S)
        if claims.get("sub") != client.client_id:
            raise AssertionRejected(f"sub {claims.get('sub')!r} is not the client id {client.client_id}")
        if claims.get("aud") != TOKEN_AUDIENCE:
            raise AssertionRejected(f"aud {claims.get('aud')!r} is not {TOKEN_AUDIENCE!r}")
        self._spend_jti(client.client_id, claims, now)
        return client

    def session_assertion(self, token: str, client_id: str, peer: str | None, now: float) -> Oauth2Client:
        """The client an sso-sessions body signs for: the access token's client, its own username, the
        address the request came from (or one of `alternativeIps`)."""
        client, claims = self._verified(token, now, MAX_SSO_ASSERTION_S)
        if client.client_id != client_id:
            raise AssertionRejected(f"iss {client.client_id} is not the access token's client {client_id}")
        if now - _number(claims, "iat") > MAX_TOKEN_ASSERTION_S:
            raise AssertionRejected(f"iat is more than {MAX_TOKEN_ASSERTION_S} s old")
        if claims.get("credential") != client.credential:
            raise AssertionRejected(f"credential {claims.get('credential')!r} is not {client.client_id}'s username")
        ip, alternatives = claims.get("ip"), claims.get("alternativeIps", [])
        if not isinstance(ip, str) or not isinstance(alternatives, list):
            raise AssertionRejected("'ip' must be an address and 'alternativeIps' a list of addresses")
        if peer is None or (ip != peer and peer not in alternatives):
            raise AssertionRejected(f"ip {ip!r} is not the address the request came from ({peer})")
        self._spend_jti(client.client_id, claims, now)
        return client
