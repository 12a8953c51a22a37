"""What a broker package plugs into Brokerdeck: one `Connector` per kind of profile.

The loader, the status report, the CLI and the window loop over connectors and never ask which broker a
profile belongs to. A connector answers, for its profiles: what the vault must hold before it can connect,
the health from stored or published facts, what its scheduled credential check notes, the actions it offers
in each state, and how to run a session (and, when it can, a browser sign-in). `ConnectorSession` is the
running half, one per profile while the window is open. Capabilities a connector lacks keep the defaults
here, which offer nothing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from brokers.core.actions import ActionOffer, NextAction
from brokers.core.errors import BrokerError
from brokers.core.health import ConnectionState, CredentialHealth, HealthAt, identity
from brokers.core.profiles import Profile

if TYPE_CHECKING:
    from brokers.core.accounts import AccountsReport
    from brokers.core.credential_notes import CredentialNote
    from brokers.core.market import MarketSource
    from brokers.core.order_route import OrderRoute
    from brokers.core.rotation import ArchivedSet, Progress, RotationStatus
    from brokers.core.secrets import BlobCheck, SecretStore


class NotOffered(BrokerError):
    """A capability this kind of profile does not have (the window never offers it)."""

    action = NextAction.NONE


@dataclass(frozen=True)
class SessionEnv:
    """What a running session may use from the process that runs it."""

    vault: SecretStore
    sandbox: Mapping[str, str] | None  # the sandbox's service URLs when the profile came from the running sandbox
    on_change: Callable[[], None]  # the session's health changed (the window coalesces these)
    on_vault_change: Callable[[], None]  # the session stored secrets: what the vault holds changed
    restart: Callable[[], None]  # run the session again from what is stored (another process changed it)


@dataclass(frozen=True)
class SignInStarted:
    """What the trader needs to approve a browser sign-in: the URL, where the browser returns, until when."""

    url: str
    redirect_uri: str
    deadline: float  # epoch seconds
    notice: str = ""  # what the trader should expect in the browser (a certificate warning), said before it opens


@dataclass(frozen=True)
class SignedIn:
    """The outcome of a sign-in, without its secrets."""

    expires_at: float | None  # when the first access token ends, if the server said
    renews: bool  # a refresh token came: later renewals need no browser


class SignInFlow(Protocol):
    """One browser sign-in: `start()`, then `finish()`; a pasted address or `cancel()` at any time."""

    @property
    def server(self) -> str: ...  # what is contacted first, for "Contacting …"

    @property
    def redirect_hint(self) -> str: ...  # where the browser will return, before `start()` knows the port

    @property
    def timeout_s(self) -> float: ...

    async def start(self) -> SignInStarted: ...

    async def finish(self) -> SignedIn:
        """Wait for the browser (or a paste), then store the result; raises BrokerError when it fails."""
        ...

    def submit_pasted(self, text: str) -> None:
        """Use an address the trader pasted; raises BrokerError saying what is wrong with it."""
        ...

    def cancel(self) -> None: ...


class Dialogue(Protocol):
    """A terminal conversation: what a setup command prints and asks."""

    def say(self, text: str) -> None: ...  # the command's output

    def warn(self, text: str) -> None: ...  # progress and problems, apart from the output

    def ask(self, prompt: str, *, hidden: bool = False) -> str:
        """The trader's answer; `hidden` for secrets (not echoed)."""
        ...


class ConnectorSession(ABC):
    """A profile's live connection while a window runs: loads what is stored, keeps it alive, reports health."""

    @abstractmethod
    async def run(self) -> None:
        """Load what the vault holds, then keep the connection alive until cancelled."""

    async def close(self) -> None:
        """Release what `run` held; called after its task was cancelled."""
        return

    @abstractmethod
    def health(self, now: float) -> CredentialHealth | None:
        """The live health at `now`, or None until the stored facts are loaded."""

    @property
    def settled(self) -> bool:
        """False while the session is still loading or connecting."""
        return True

    def act(self, action: NextAction) -> str | None:
        """Carry out an action routed to the session; what is being done, or None when it cannot."""
        return None

    def probe(self) -> bool:
        """Prove the credential now with a cheap authenticated request (never a renewal just to check); the
        outcome arrives as a health change. False when there is nothing to prove yet or no way to prove it."""
        return False

    def recheck(self) -> None:
        """The vault was inspected again: a session still waiting for what is stored tries again."""
        return

    def published(self) -> dict[str, Any] | None:
        """Non-secret facts for `brokerdeck status` in another process, or None when there is nothing to share."""
        return None

    def market_source(self) -> MarketSource | None:
        """The market data this session can stream now, if any."""
        return None

    def accounts(self) -> AccountsReport | None:
        """The accounts this session last read (read-only), or None when its connector shows no accounts."""
        return None

    def refresh_accounts(self) -> bool:
        """Read the accounts again now rather than at the next scheduled read (the trader pressed Refresh); the
        result arrives through `accounts()` and a health change. False when this session cannot."""
        return False

    def order_route(self) -> OrderRoute | None:
        """Where orders go while the session is connected; None when its connector cannot trade (or not yet)."""
        return None


class Connector[P: Profile](ABC):
    """One kind of profile. Subclasses set `profile_class` and `title` and implement the abstract methods."""

    profile_class: type[P]
    title: str  # what the kind is, for people: "Interactive Brokers (OAuth 1.0a self-service keys)"
    signs_in: bool = False  # True when `sign_in` runs a browser sign-in (`brokerdeck login`, Connect)
    sets_up_keys: bool = False  # True when `setup_keys` runs a self-service key setup (`brokerdeck keys init`)
    trades: bool = False  # True when its sessions offer an `order_route`: the mode gate refuses LIVE otherwise
    rotates: bool = False  # True when its credentials rotate by hand (`brokerdeck keys rotate`, the wizard)

    @property
    def kind(self) -> str:
        return self.profile_class.kind

    def required_secrets(self, profile: P) -> frozenset[str]:
        """Vault entries that must exist before the profile can connect."""
        return frozenset()

    def setup_hint(self, profile: P) -> str:
        """How the trader gets the profile ready to connect, in one sentence (a command, a button)."""
        return ""

    @abstractmethod
    def stored_health(self, profile: P, vault: SecretStore, checks: Sequence[BlobCheck]) -> HealthAt:
        """Blocking (keyring, disk): the health from what is stored, for when no session runs.

        Called only once every required secret is stored and intact.
        """

    def published_health(self, profile: P, facts: Mapping[str, Any]) -> HealthAt | None:
        """The health of a session another process published (`ConnectorSession.published`), if readable."""
        return None

    def credential_checks(
        self, profile: P, vault: SecretStore, checks: Sequence[BlobCheck]
    ) -> tuple[CredentialNote, ...]:
        """Blocking (keyring, disk): the scheduled credential check, one note per stored credential worth watching
        (a key's age against the profile's rotation policy, a sign-in's horizon, a certificate's expiry).

        Called only once every required secret is stored and intact; `checks` say when each was written.
        """
        return ()

    @abstractmethod
    def offers(self, profile: P, health: CredentialHealth) -> tuple[ActionOffer, ...]:
        """What the trader can do about `profile` in the state `health` describes."""

    def open_session(self, profile: P, env: SessionEnv) -> ConnectorSession | None:
        """The session that keeps `profile` connected while the window runs; None when the kind has none."""
        return None

    def sign_in(self, profile: P, vault: SecretStore, *, listen: bool = True) -> SignInFlow:
        """A browser sign-in for `profile` (only when `signs_in`); `listen=False` waits for a pasted address."""
        raise NotOffered(f"{self.kind} profiles have no browser sign-in. {self.setup_hint(profile)}".strip())

    async def sign_out(self, profile: P, vault: SecretStore) -> str:
        """Revoke and delete the stored sign-in; says what happened (only when `signs_in`)."""
        raise NotOffered(f"{self.kind} profiles have no sign-in to end.")

    async def setup_keys(
        self, profile: P, vault: SecretStore, dialogue: Dialogue, *, dhparam_pem: bytes | None, replace: bool
    ) -> str:
        """Create or reuse keys, show what to register, prove what the broker issued, store it (only when
        `sets_up_keys`); the closing sentence. `dhparam_pem` and `replace` are the command's options."""
        raise NotOffered(f"{self.kind} profiles have no self-service keys to set up.")

    # ---- rotation (only when `rotates`; the model is brokers/core/rotation.py) -----------------------

    def rotation_status(self, profile: P, vault: SecretStore) -> RotationStatus:
        """Blocking: where `profile`'s rotation stands, from its journal."""
        raise NotOffered(f"{self.kind} profiles have no credentials to rotate.")

    async def rotation_start(
        self, profile: P, vault: SecretStore, progress: Progress, *, new_dh: bool
    ) -> RotationStatus:
        """Stage new material beside the active set and say what to register; the active set keeps working."""
        raise NotOffered(f"{self.kind} profiles have no credentials to rotate.")

    async def rotation_confirm(
        self, profile: P, vault: SecretStore, answers: dict[str, str], progress: Progress
    ) -> RotationStatus:
        """Prove what the broker issued, then switch; on failure roll back, prove the old set and raise
        `RotationFailed`. Also resumes an interrupted confirm (`answers` may then be empty)."""
        raise NotOffered(f"{self.kind} profiles have no credentials to rotate.")

    def rotation_abort(self, profile: P, vault: SecretStore) -> RotationStatus:
        """Blocking: discard what is staged; the active set stays as it is."""
        raise NotOffered(f"{self.kind} profiles have no credentials to rotate.")

    def archived_sets(self, profile: P, vault: SecretStore) -> tuple[ArchivedSet, ...]:
        """Blocking: the sets earlier rotations replaced, newest first."""
        raise NotOffered(f"{self.kind} profiles have no archived credentials.")

    async def restore_archived(self, profile: P, vault: SecretStore, archive_id: str, progress: Progress) -> str:
        """Prove an archived set and make it active again (archiving the current one); the closing sentence."""
        raise NotOffered(f"{self.kind} profiles have no archived credentials.")


class UnavailableConnector(Connector[Profile]):
    """A kind profiles.toml may already name but this version cannot connect; it says so plainly."""

    def setup_hint(self, profile: Profile) -> str:
        return "This version cannot connect this kind of profile yet."

    def stored_health(self, profile: Profile, vault: SecretStore, checks: Sequence[BlobCheck]) -> HealthAt:
        stored = f"{len(checks)} secret(s) stored" if checks else "no secrets stored"
        health = CredentialHealth(
            **identity(profile),
            state=ConnectionState.NOT_CONNECTED,
            reason=f"{stored}; connecting this kind of profile is not available yet",
            next_action=NextAction.NONE,  # nothing the trader can do until the connector exists
            hint=self.setup_hint(profile),
        )
        return lambda _now: health

    def offers(self, profile: Profile, health: CredentialHealth) -> tuple[ActionOffer, ...]:
        return ()
