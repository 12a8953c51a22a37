"""Proving an IBKR credential set before a rotation trusts it: mint a live session token, then ask the status.

The proof uses a session of its own and never logs out: IBKR has one brokerage session per user, and a logout
would end the one a running window streams market data through.
"""

from __future__ import annotations

import json
import re

import httpx

from brokers.core.errors import BrokerError
from brokers.core.rotation import Progress
from brokers.ibkr.credentials import IbkrCredentials
from brokers.ibkr.profile import IbkrProfile
from brokers.ibkr.session import IbkrSession

#: what a failed proof raises: IBKR's refusals and unreachability (BrokerError), and answers that are not IBKR's
PROOF_FAILURES = (BrokerError, json.JSONDecodeError, KeyError)

_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


async def prove(profile: IbkrProfile, credentials: IbkrCredentials, progress: Progress, what: str) -> None:
    """Mint an LST with `credentials` and call /iserver/auth/status with it; raises one of PROOF_FAILURES."""
    async with httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=10.0)) as http:
        session = IbkrSession(profile.base_url, credentials, http=http)
        progress(f"Minting a live session token with {what}…")
        await session.authorize()
        progress(f"Calling /iserver/auth/status with {what}…")
        await session.auth_status()


def why(error: BaseException, *tokens: str) -> str:
    """The first sentence of a proof's failure, with the access tokens involved masked: the rest of IBKR's
    messages is advice for a running session, not for a rotation."""
    text = str(error) or type(error).__name__
    first = _SENTENCE_END.split(text, maxsplit=1)[0]
    for token in tokens:
        if token:
            first = first.replace(token, "***")
    return first if first.endswith((".", "!", "?")) else first + "."
