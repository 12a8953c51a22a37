"""One pending authorization request: the URL the browser opens, and the checks on what comes back.

The same checks run whether the response arrives at the loopback listener or is pasted by hand:
the state must be this request's and unused (RFC 6749 §10.12, RFC 9700 §2.1), the `iss` must be this
server's (RFC 9207, the mix-up defence), and only then is an error or a code looked at.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

from brokers.oauth2.discovery import ServerMetadata
from brokers.oauth2.errors import AuthorizationDenied, CallbackRejected, IssuerMismatch, LoginFailed, StateMismatch
from brokers.oauth2.pkce import Pkce, new_state


@dataclass
class AuthorizationRequest:
    server: ServerMetadata
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...] = ()
    resource: str = ""
    state: str = field(default_factory=new_state, repr=False)
    pkce: Pkce = field(default_factory=Pkce, repr=False)
    _used: bool = field(default=False, repr=False)

    @property
    def spent(self) -> bool:
        """True once a response with this request's state has been seen; no second one is accepted."""
        return self._used

    @property
    def url(self) -> str:
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "state": self.state,
            "code_challenge": self.pkce.challenge,
            "code_challenge_method": Pkce.method,
        }
        if self.scopes:
            params["scope"] = " ".join(self.scopes)
        if self.resource:
            params["resource"] = self.resource
        separator = "&" if urlsplit(self.server.authorization_endpoint).query else "?"
        return f"{self.server.authorization_endpoint}{separator}{urlencode(params)}"

    def accept(self, params: dict[str, str]) -> str:
        """The authorization code, once every check has passed; the state is spent either way."""
        state = params.get("state", "")
        if not state:
            raise StateMismatch("the response carries no state, so it cannot be tied to this sign-in", "connect again")
        if self._used:
            raise StateMismatch(
                "this sign-in was already completed or refused", "a response can be used only once; connect again"
            )
        if not secrets.compare_digest(state.encode(), self.state.encode()):
            raise StateMismatch(
                "the response belongs to another sign-in (its state does not match), so it was refused",
                "connect again and finish the sign-in in the page Brokerdeck opens",
            )
        self._used = True
        issuer = params.get("iss")
        if issuer is not None and issuer != self.server.issuer:
            raise IssuerMismatch(
                f"the response comes from {issuer!r}, not from {self.server.issuer}, so it was refused as a possible "
                "mix-up attack",
                "connect again",
            )
        if issuer is None and self.server.iss_parameter_supported:
            raise IssuerMismatch(
                f"{self.server.issuer} promises to name itself in every response, but this one does not, so it was "
                "refused",
                "connect again",
            )
        error = params.get("error")
        if error == "access_denied":
            raise AuthorizationDenied("access was denied on the broker's page", "sign in again to connect")
        if error:
            detail = params.get("error_description", "")[:200]
            said = f"{error}: {detail}" if detail else error
            raise LoginFailed(f"the broker refused the sign-in ({said})", "connect again")
        code = params.get("code", "")
        if not code:
            raise LoginFailed("the response carries no authorization code", "connect again")
        return code

    def accept_pasted(self, text: str) -> str:
        """Check a redirected URL pasted by the trader: our callback address, then the same checks."""
        pasted = urlsplit(text.strip())
        expected = urlsplit(self.redirect_uri)
        if not pasted.query:
            raise CallbackRejected(
                "that is not the redirected address: copy the whole address from the browser's address bar, "
                "including everything after '?'"
            )
        same_place = (pasted.scheme, pasted.hostname, pasted.port, pasted.path) == (
            expected.scheme,
            expected.hostname,
            expected.port,
            expected.path,
        )
        if not same_place:
            raise CallbackRejected(
                f"that address does not lead to this sign-in's callback ({expected.scheme}://{expected.netloc}"
                f"{expected.path}); paste the address the browser was sent to after you approved"
            )
        raw = parse_qs(pasted.query, keep_blank_values=True)
        if any(len(values) > 1 for values in raw.values()):
            raise CallbackRejected("the pasted address repeats a parameter; paste it exactly as the browser shows it")
        return self.accept({key: values[0] for key, values in raw.items()})
