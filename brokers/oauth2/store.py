"""The vault entries of an OAuth profile. Blocking (keyring, disk): call from a worker thread.

Three kinds: the client registration (reused across logins), the token record (tokens plus where to
refresh them), and the loopback listener's TLS certificate when the profile uses one. Every write
replaces a whole blob atomically, so a crash leaves the old record or the new one. Beside them, the
vault keeps the profile's refresh lock file, which every process renewing the tokens holds meanwhile.
A re-registration (rotation.py) keeps its new client and the sign-in made with it in two staged kinds
until it is proven; `staged()` is the same store over those.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from brokers.core.secrets import SecretStore
from brokers.oauth2.registration import ClientRegistration
from brokers.oauth2.tokens import TokenRecord

CLIENT_KIND = "oauth-client"
TOKENS_KIND = "oauth-tokens"
TLS_KIND = "loopback-tls"
STAGED_CLIENT_KIND = "oauth-client-staged"
STAGED_TOKENS_KIND = "oauth-tokens-staged"
ALL_KINDS = (TOKENS_KIND, CLIENT_KIND, TLS_KIND, STAGED_TOKENS_KIND, STAGED_CLIENT_KIND)
REFRESH_LOCK = "oauth-refresh"


@dataclass(frozen=True)
class OAuthStore:
    vault: SecretStore
    profile: str
    client_kind: str = CLIENT_KIND
    tokens_kind: str = TOKENS_KIND

    def staged(self) -> OAuthStore:
        """The same profile's staged client and sign-in (a re-registration not yet proven)."""
        return dataclasses.replace(self, client_kind=STAGED_CLIENT_KIND, tokens_kind=STAGED_TOKENS_KIND)

    def registration(self) -> ClientRegistration | None:
        raw = self.vault.get(self.profile, self.client_kind)
        return ClientRegistration.from_bytes(raw) if raw is not None else None

    def save_registration(self, registration: ClientRegistration) -> None:
        self.vault.put(self.profile, self.client_kind, registration.to_bytes())

    def forget_registration(self) -> None:
        self.vault.delete(self.profile, self.client_kind)

    def record(self) -> TokenRecord | None:
        raw = self.vault.get(self.profile, self.tokens_kind)
        return TokenRecord.from_bytes(raw) if raw is not None else None

    def sign_in_for(self, issuer: str) -> TokenRecord | None:
        """The stored record, unusable ("sign in again") when it came from another issuer than `issuer`.

        A profile edited to name another server, or a sandbox restarted on new ports, must not send the old
        server's tokens to the new one, nor show them as healthy.
        """
        record = self.record()
        if record is None or record.server.issuer == issuer:
            return record
        reason = f"the stored sign-in is from {record.server.issuer}, but the profile now names {issuer}"
        return dataclasses.replace(record, tokens=None, login_required=reason)

    def save_record(self, record: TokenRecord) -> None:
        self.vault.put(self.profile, self.tokens_kind, record.to_bytes())

    def forget_record(self) -> None:
        self.vault.delete(self.profile, self.tokens_kind)

    def refresh_lock_path(self) -> Path:
        """The file every process locks while it refreshes this profile's tokens (refresh_lock.py)."""
        return self.vault.lock_path(self.profile, REFRESH_LOCK)

    def tls_material(self) -> bytes | None:
        return self.vault.get(self.profile, TLS_KIND)

    def save_tls_material(self, pem: bytes) -> None:
        self.vault.put(self.profile, TLS_KIND, pem)

    def wipe(self) -> None:
        for kind in ALL_KINDS:
            self.vault.delete(self.profile, kind)
