"""Robinhood connector tests run against the real sandbox process and the real (Secret Service backed) vault."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator

import httpx
import pytest

from app.sandbox import sandbox_profiles
from brokers.registry import REGISTRY
from brokers.robinhood.orders import Retries, RobinhoodOrderRoute
from brokers.robinhood.profile import RobinhoodProfile
from tests.brokers.robinhood.flows import sign_in, tokens
from tests.brokers.robinhood.orders_setup import ACCOUNT
from tests.brokers.robinhood.peer import RobinhoodSandbox
from tests.conftest import run_async


@pytest.fixture
def robinhood(sandbox) -> Iterator[RobinhoodSandbox]:
    with httpx.Client(timeout=20, follow_redirects=False) as http:
        yield RobinhoodSandbox(http, sandbox.services["robinhood"])


@pytest.fixture
def rh_profile(sandbox) -> RobinhoodProfile:
    profiles = sandbox_profiles(sandbox.endpoints, REGISTRY.schema).profiles
    profile = next(p for p in profiles if p.name == "sandbox-robinhood")
    assert isinstance(profile, RobinhoodProfile)
    return profile


@pytest.fixture
def rh(rh_profile, vault, robinhood):
    """Signed in, with order states that move only when a test advances them."""
    run_async(lambda: sign_in(rh_profile, vault))
    robinhood.settings(auto_advance_s=0)
    return robinhood


@pytest.fixture
def route_run(rh_profile, vault):
    """Run `scenario(route)` on a route of the agentic account, on the stored sign-in."""

    def run[T](scenario: Callable[[RobinhoodOrderRoute], Awaitable[T]]) -> T:
        async def main() -> T:
            async with tokens(rh_profile, vault) as session:
                route = RobinhoodOrderRoute(
                    rh_profile.url, session, ACCOUNT, retries=Retries(pause_after_loss_s=0), timezone="Europe/Berlin"
                )
                return await scenario(route)

        return run_async(main)

    return run
