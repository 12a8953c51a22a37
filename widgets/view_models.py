"""Plain data the widgets render. The app maps core models onto these, so widgets never import the core."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class CredentialRow:
    name: str
    state: str
    severity: str  # "ok" | "warn" | "error" | "idle"
    detail: str
    expires: str = ""


@dataclass(frozen=True)
class AccountRow:
    account: str  # masked
    kind: str
    buying_power: str
    cash: str
    equity: str
    note: str = ""


@dataclass(frozen=True)
class PositionRow:
    account: str  # masked
    symbol: str
    quantity: str
    average_price: str
    market_value: str


@dataclass(frozen=True)
class AccountsView:
    """A profile's accounts as read from the broker: when, what is wrong (with the fix), and the figures."""

    read_at: str = ""
    problem: str = ""
    details: tuple[tuple[str, str], ...] = ()  # (what, value), e.g. ("Agentic account", "••••1234")
    accounts: tuple[AccountRow, ...] = ()
    positions: tuple[PositionRow, ...] = ()


@dataclass(frozen=True)
class ProfileRow:
    name: str
    label: str  # what the trader called it; the name when no label was given
    kind: str
    origin: str
    state: str  # the state in words ("Sign-in needed")
    severity: str
    reason: str
    hint: str
    expires: str = ""
    action: str = ""  # the intent sent back when the trader presses the action button
    action_label: str = ""  # the button's text; no button when empty
    action_tooltip: str = ""  # what the button does, in more words (the command it runs in a terminal)
    credentials: tuple[CredentialRow, ...] = ()
    # What the trader may do with the connection now: a subset of ("connect", "reconnect", "disconnect"),
    # in that order. The profile's connector decides; the panel only enables the matching buttons.
    connect_actions: tuple[str, ...] = ()
    accounts: AccountsView | None = None  # None when the profile's connector shows no accounts


class LoginStage(StrEnum):
    """Where a browser sign-in stands; `LOGIN_STAGES` says what the login view shows and offers in each."""

    CONTACTING = "contacting"  # the server is being contacted; the page's address is not known yet
    WAITING = "waiting"  # the system browser was asked to open the broker's page
    NO_BROWSER = "no_browser"  # no browser could be opened: the trader opens the page some other way
    FINISHING = "finishing"  # a pasted address was accepted; the tokens are being fetched and stored
    FAILED = "failed"  # the sign-in ended without connecting


class LoginButton(StrEnum):
    """The login view's buttons; each value is the button's text, so the words can name it exactly."""

    REOPEN = "Open the page again"
    COPY = "Copy link"
    PASTE = "Paste redirected URL…"
    RETRY = "Try again"
    CANCEL = "Cancel"
    CLOSE = "Close"


@dataclass(frozen=True)
class LoginStagePlan:
    """What the login view shows in one stage. Its words name only buttons of `buttons` (a test checks)."""

    headline: str  # "{label}" stands for the profile's label
    buttons: tuple[LoginButton, ...]  # shown and enabled
    advice: str = ""  # what to do next, when the buttons need saying
    greyed: tuple[LoginButton, ...] = ()  # shown but disabled: they work once the page's address is known
    counts_down: bool = False
    shows_redirect: bool = False  # where the browser returns: needed to approve, or to paste
    trouble: bool = False  # the message says what went wrong (styled as an error)


LOGIN_STAGES: dict[LoginStage, LoginStagePlan] = {
    LoginStage.CONTACTING: LoginStagePlan(
        headline="Preparing the sign-in for {label}…",
        buttons=(LoginButton.CANCEL,),
        greyed=(LoginButton.REOPEN, LoginButton.COPY, LoginButton.PASTE),
        shows_redirect=True,
    ),
    LoginStage.WAITING: LoginStagePlan(
        headline="Waiting for you to approve {label} in your browser…",
        buttons=(LoginButton.REOPEN, LoginButton.COPY, LoginButton.PASTE, LoginButton.CANCEL),
        advice=f"No page in your browser? Press {LoginButton.COPY} and open the address in a browser yourself.",
        counts_down=True,
        shows_redirect=True,
    ),
    LoginStage.NO_BROWSER: LoginStagePlan(
        headline="No browser opened for {label}",
        buttons=(LoginButton.COPY, LoginButton.PASTE, LoginButton.CANCEL),
        advice=(
            f"Press {LoginButton.COPY}, open the address in any browser and approve. If that browser cannot come "
            f"back to this computer, press {LoginButton.PASTE} and paste the address it ends on."
        ),
        counts_down=True,
        shows_redirect=True,
        trouble=True,
    ),
    LoginStage.FINISHING: LoginStagePlan(
        headline="Finishing the sign-in for {label}…",
        buttons=(),
    ),
    LoginStage.FAILED: LoginStagePlan(
        headline="Sign-in for {label} did not complete",
        buttons=(LoginButton.RETRY, LoginButton.CLOSE),
        advice=f"Press {LoginButton.RETRY} to start a new sign-in, or {LoginButton.CLOSE} to dismiss this.",
        trouble=True,
    ),
}


@dataclass(frozen=True)
class LoginView:
    """A browser sign-in under way. The widget counts down from `deadline` itself, so the app
    need not re-render every second."""

    profile: str
    label: str
    url: str  # the authorization URL the browser was sent to; the trader may copy it
    deadline: float  # time.time() epoch seconds when the wait gives up
    redirect_hint: str  # where the browser returns, e.g. "http://127.0.0.1:53121/callback/NAME"
    message: str = ""  # what is happening or what went wrong, in the words of the stage's cause
    stage: LoginStage = LoginStage.WAITING

    @property
    def plan(self) -> LoginStagePlan:
        return LOGIN_STAGES[self.stage]

    @property
    def ended(self) -> bool:
        """The sign-in is over (failed): only its outcome is left on screen."""
        return self.stage == LoginStage.FAILED


@dataclass(frozen=True)
class StatusView:
    """Everything the connection panel and the health indicator show at one moment."""

    profiles: tuple[ProfileRow, ...] = ()
    profile_errors: tuple[str, ...] = ()
    profiles_file: str = ""
    vault_text: str = ""
    vault_ok: bool = True
    sandbox_text: str = ""
    checked_at: str = ""
    login: LoginView | None = None  # the sign-in under way, if any; at most one at a time
