"""A real headless browser for tests: Debian's Chromium, driven by Playwright's sync API on its own thread.

Tests run the app's Qt/asyncio loop in the main thread. Playwright's sync API refuses to run in a thread whose
asyncio loop is running, and its objects may only be used from the thread that made them, so `Browser` owns
one worker thread and runs every browser call there. Each call is offered two ways:

* `submit_*()` / `submit(fn)` return a `concurrent.futures.Future`. Use these while the app's loop must keep
  running (its loopback listener answers the browser's redirect), and wait with
  `qtbot.waitUntil(future.done, timeout=...)` or `await asyncio.wrap_future(future)`.
* The blocking helpers (`approve_sandbox()`, `approve_oidc_provider()`, `goto()`, `screenshot()`, `call()`)
  wait for the result and so stall the calling thread's loop meanwhile: fine when nothing the browser needs
  runs on that loop (a peer in its own process or thread).

Every step (a page load, a click, the redirect to the callback) may take up to 30 s. A failed step raises
`BrowserError` naming the step and the page's URL and title. URLs in errors never carry their query string or
fragment, since those hold authorization codes; only the return values of the approve helpers are complete.

`make test` installs Chromium (Debian's `chromium`, see the Makefile); Playwright never downloads a browser.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Literal, Self
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Playwright

CHROMIUM = "/usr/bin/chromium"
# Without these Chromium hangs or phones home on a machine without internet access.
CHROMIUM_ARGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Cookies stay unencrypted in the throw-away profile instead of going through the Secret Service, which
    # `make test` runs for the app's own tests.
    "--password-store=basic",
)
STEP_TIMEOUT = 30.0
# oidc-provider's devInteractions accept any login and any password.
OIDC_LOGIN = "trader"
OIDC_PASSWORD = "anything"
# oidc-provider shows at most a login and a consent screen; more than this means the flow is looping.
_MAX_OIDC_SCREENS = 4
_URL = re.compile(r"""\b([a-z][a-z0-9+.-]*://[^\s?#"'<>]*)[?#][^\s"'<>]*""", re.IGNORECASE)


class BrowserError(RuntimeError):
    """A browser step failed or timed out; the message names the step, the page's URL (no query) and title."""


def chromium_available() -> bool:
    """Chromium is installed at CHROMIUM and the playwright package is importable."""
    return os.access(CHROMIUM, os.X_OK) and importlib.util.find_spec("playwright") is not None


def redact_url(url: str) -> str:
    """`url` without its query string and fragment (they carry authorization codes and state)."""
    return url.split("?", 1)[0].split("#", 1)[0]


def redact_text(text: str) -> str:
    """`text` with the query string and fragment cut off every URL in it."""
    return _URL.sub(r"\1", text)


def is_loopback_callback(url: str) -> bool:
    """An http(s) URL on 127.0.0.1 whose path contains "/callback/": the app's loopback redirect listener."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and parts.hostname == "127.0.0.1" and "/callback/" in parts.path


class Browser:
    """Headless Chromium with a fresh, empty profile, driven from its own thread. Use as a context manager."""

    def __init__(self, step_timeout: float = STEP_TIMEOUT, executable: str = CHROMIUM) -> None:
        self.step_timeout = step_timeout
        self._executable = executable
        self._executor: ThreadPoolExecutor | None = None
        self._thread_id: int | None = None
        # Touched only on the browser thread.
        self._playwright: Playwright | None = None
        self._context: BrowserContext | None = None
        self._page: Page | None = None
        self._profile: tempfile.TemporaryDirectory[str] | None = None

    # ---- life cycle ------------------------------------------------------------------------------------------

    def start(self) -> Self:
        if self._executor is not None:
            raise BrowserError("the browser is already running")
        if not os.access(self._executable, os.X_OK):
            raise BrowserError(f"{self._executable} is missing: run `make test`, which installs Debian's chromium")
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="browser")
        try:
            self._executor.submit(self._start_on_thread).result()
        except BaseException:
            self._executor.shutdown(wait=True)
            self._executor = None
            raise
        return self

    def close(self) -> None:
        """Close Chromium and Playwright, then end the browser thread. Safe to call twice."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        try:
            executor.submit(self._stop_on_thread).result()
        finally:
            executor.shutdown(wait=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ---- running code on the browser thread ------------------------------------------------------------------

    def submit[T](self, fn: Callable[[Page], T]) -> Future[T]:
        """Run `fn(page)` on the browser thread; Playwright objects must not leave that thread.

        A Playwright error in `fn` becomes a BrowserError whose URLs have no query strings."""
        if self._executor is None:
            raise BrowserError("the browser is not running")

        def run() -> T:
            page = self._current_page()
            return self._step(page, "the browser call", lambda: fn(page))

        return self._executor.submit(run)

    def call[T](self, fn: Callable[[Page], T]) -> T:
        """`submit(fn)` and wait for its result."""
        return self._wait(self.submit(fn))

    # ---- helpers, non-blocking ---------------------------------------------------------------------------------

    def submit_approve_sandbox(self, url: str, decision: Literal["allow", "deny"] = "allow") -> Future[str]:
        """Future of `approve_sandbox(url, decision)`."""
        if decision not in ("allow", "deny"):
            raise ValueError(f"decision must be 'allow' or 'deny', not {decision!r}")
        return self.submit(lambda page: self._approve_sandbox(page, url, decision))

    def submit_approve_oidc_provider(
        self, url: str, login: str = OIDC_LOGIN, password: str = OIDC_PASSWORD
    ) -> Future[str]:
        """Future of `approve_oidc_provider(url, login, password)`."""
        return self.submit(lambda page: self._approve_oidc_provider(page, url, login, password))

    # ---- helpers, blocking -----------------------------------------------------------------------------------

    def approve_sandbox(self, url: str, decision: Literal["allow", "deny"] = "allow") -> str:
        """Open the sandbox's authorization `url`, press #approve (or #deny), follow the redirect to the loopback
        callback and return the final URL (with its query: code, state, iss or error)."""
        return self._wait(self.submit_approve_sandbox(url, decision))

    def approve_oidc_provider(self, url: str, login: str = OIDC_LOGIN, password: str = OIDC_PASSWORD) -> str:
        """Open oidc-provider's authorization `url`, sign in on its devInteractions login page (any login and
        password), continue through its consent page and return the final loopback callback URL."""
        return self._wait(self.submit_approve_oidc_provider(url, login, password))

    def goto(self, url: str) -> str:
        """Open `url`, wait for it to load and return the page's title."""
        return self.call(lambda page: self._goto(page, url, "open the page"))

    def current_url(self) -> str:
        """The current page's full URL."""
        return self.call(lambda page: page.url)

    def screenshot(self, path: str | os.PathLike[str]) -> Path:
        """Save a PNG screenshot of the current page to `path` and return the path."""
        target = Path(path)
        self.call(lambda page: self._step(page, "take a screenshot", lambda: page.screenshot(path=target)))
        return target

    # ---- on the browser thread -------------------------------------------------------------------------------

    def _start_on_thread(self) -> None:
        from playwright.sync_api import sync_playwright

        self._thread_id = threading.get_ident()
        self._profile = tempfile.TemporaryDirectory(prefix="brokerdeck-chromium-", ignore_cleanup_errors=True)
        try:
            self._playwright = sync_playwright().start()
            self._context = self._playwright.chromium.launch_persistent_context(
                self._profile.name,
                executable_path=self._executable,
                headless=True,
                args=list(CHROMIUM_ARGS),
                # The loopback listener may serve https with a self-signed certificate.
                ignore_https_errors=True,
                # Chromium keeps off the session bus (the test keyring's, under `make test`): no accessibility
                # bus is started for it and nothing of it lands in the Secret Service.
                env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": "disabled:"},
                timeout=self.step_timeout * 1000,
            )
            self._context.set_default_timeout(self.step_timeout * 1000)
            self._context.set_default_navigation_timeout(self.step_timeout * 1000)
            self._page = self._context.pages[0] if self._context.pages else self._context.new_page()
        except BaseException:
            self._stop_on_thread()
            raise

    def _stop_on_thread(self) -> None:
        context, self._context, self._page = self._context, None, None
        playwright, self._playwright = self._playwright, None
        profile, self._profile = self._profile, None
        try:
            if context is not None:
                context.close()
        finally:
            try:
                if playwright is not None:
                    playwright.stop()
            finally:
                if profile is not None:
                    profile.cleanup()

    def _current_page(self) -> Page:
        if self._page is None:
            raise BrowserError("the browser is not running")
        return self._page

    def _wait[T](self, future: Future[T]) -> T:
        """The result of `future`, for the blocking helpers (not on the browser thread, which would wait forever)."""
        if threading.get_ident() == self._thread_id:
            future.cancel()
            raise BrowserError("a blocking Browser call on the browser thread would wait for itself")
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return future.result()
        try:
            return future.result()
        except BrowserError as exc:
            raise BrowserError(
                f"{exc}\n  note: this thread's asyncio loop could not run meanwhile. If the app's loopback listener "
                "runs on it, use submit_approve_sandbox()/submit_approve_oidc_provider()/submit() and wait with "
                "qtbot.waitUntil(future.done) or `await asyncio.wrap_future(future)`."
            ) from None

    def _step[T](self, page: Page, what: str, action: Callable[[], T]) -> T:
        from playwright.sync_api import Error as PlaywrightError

        try:
            return action()
        except PlaywrightError as exc:
            raise self._error(page, f"{what} failed: {redact_text(exc.message)}") from None

    def _error(self, page: Page, message: str) -> BrowserError:
        from playwright.sync_api import Error as PlaywrightError

        try:
            title = page.title()
        except PlaywrightError:
            title = "(unavailable)"
        return BrowserError(f"{message}\n  page: {redact_url(page.url)}\n  title: {title!r}")

    def _goto(self, page: Page, url: str, what: str) -> str:
        self._step(page, f"{what} ({redact_url(url)})", lambda: page.goto(url, wait_until="load"))
        return page.title()

    def _wait_for_callback(self, page: Page) -> str:
        self._step(
            page,
            "wait for the redirect to the loopback callback",
            lambda: page.wait_for_url(is_loopback_callback, wait_until="load"),
        )
        return page.url

    def _approve_sandbox(self, page: Page, url: str, decision: str) -> str:
        button = "#approve" if decision == "allow" else "#deny"
        self._goto(page, url, "open the sandbox authorization page")
        if is_loopback_callback(page.url):
            # Redirected straight back (an error response, or a grant that needs no consent).
            return page.url
        self._step(page, f"wait for the sandbox consent page ({button})", lambda: page.wait_for_selector(button))
        self._step(page, f"click {button}", lambda: page.click(button))
        return self._wait_for_callback(page)

    def _approve_oidc_provider(self, page: Page, url: str, login: str, password: str) -> str:
        self._goto(page, url, "open the oidc-provider authorization page")
        for _ in range(_MAX_OIDC_SCREENS):
            if is_loopback_callback(page.url):
                return page.url
            self._pass_oidc_screen(page, login, password)
        if is_loopback_callback(page.url):
            return page.url
        raise self._error(page, f"no redirect to the loopback callback after {_MAX_OIDC_SCREENS} screens")

    def _pass_oidc_screen(self, page: Page, login: str, password: str) -> None:
        """Fill in and submit one oidc-provider interaction page (login or consent), then wait for the next page."""
        prompt = page.locator('form input[name="prompt"]')
        if prompt.count() == 0:
            raise self._error(page, f"not an oidc-provider login or consent page: {self._page_text(page)}")
        screen = self._step(page, "read the interaction form", lambda: prompt.first.get_attribute("value"))
        before = page.url
        if screen == "login":
            self._step(page, "fill in the login", lambda: page.fill('input[name="login"]', login))
            self._step(page, "fill in the password", lambda: page.fill('input[name="password"]', password))
        elif screen != "consent":
            raise self._error(page, f"unexpected oidc-provider interaction {screen!r}")
        self._step(page, f"submit the {screen} form", lambda: page.click('form button[type="submit"]'))
        # Each interaction has its own URL (/interaction/<uid>), so a new URL means the next page.
        self._step(
            page,
            f"wait for the page after the {screen} form",
            lambda: page.wait_for_url(lambda current: current != before, wait_until="load"),
        )

    def _page_text(self, page: Page, limit: int = 300) -> str:
        from playwright.sync_api import Error as PlaywrightError

        try:
            text = page.inner_text("body", timeout=1000)
        except PlaywrightError:
            return "(no text)"
        return redact_text(" ".join(text.split()))[:limit]


@pytest.fixture
def browser() -> Iterator[Browser]:
    """A fresh headless Chromium for one test (about a second to start)."""
    if not chromium_available():
        pytest.fail(f"{CHROMIUM} or the playwright package is missing: run `make test`, which installs both")
    with Browser() as started:
        yield started
