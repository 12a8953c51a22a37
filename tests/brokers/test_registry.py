"""The connector registry and what it hands the rest of Brokerdeck: the loader, the kinds, the error contract."""

from __future__ import annotations

import re

import pytest

from brokers.core.actions import NextAction
from brokers.core.connector import NotOffered
from brokers.core.errors import BrokerError
from brokers.core.profiles import ProfileOrigin
from brokers.core.registry import Registry, UnknownKind
from brokers.ibkr.connector import IbkrConnector
from brokers.ibkr.errors import IbkrError
from brokers.ibkr.keys import KeyMaterialError
from brokers.oauth2.connector import OAuth2Connector
from brokers.oauth2.errors import OAuthError
from brokers.registry import REGISTRY
from brokers.robinhood.profile import RobinhoodProfile
from brokers.vault import VaultError, VaultKeyMissing, VaultLocked
from tests.conftest import run_async


def test_the_registry_lists_every_kind_once_in_its_order():
    assert REGISTRY.kinds == ("ibkr-oauth1a", "ibkr-oauth2", "robinhood-mcp", "schwab", "oauth2")
    assert [c.profile_class.kind for c in REGISTRY.connectors] == list(REGISTRY.kinds)
    assert REGISTRY.schema.kinds == REGISTRY.kinds


def test_a_kind_is_registered_once_and_its_loader_follows_the_registry():
    registry = Registry([IbkrConnector()])
    with pytest.raises(ValueError, match="registered already"):
        registry.register(IbkrConnector())
    text = '[profiles.a]\nkind = "oauth2"\nissuer = "https://auth.example.com"\n'
    (error,) = registry.schema.parse(text).errors
    assert "unknown kind 'oauth2'; use one of: ibkr-oauth1a" in error.message
    registry.register(OAuth2Connector())
    (profile,) = registry.schema.parse(text).profiles
    assert registry.of(profile).kind == "oauth2"
    registry.unregister("oauth2")
    with pytest.raises(UnknownKind, match="oauth2"):
        registry.of(profile)


def test_sandbox_tables_go_through_the_loaders_own_checks():
    tables = [
        {"name": "good", "kind": "robinhood-mcp", "url": "http://127.0.0.1:9/mcp"},
        {"name": "insecure", "kind": "robinhood-mcp", "url": "http://broker.example/mcp"},
        {"name": "future", "kind": "not-yet-invented"},
        {"kind": "robinhood-mcp", "url": "http://127.0.0.1:9/mcp"},
    ]
    loaded = REGISTRY.schema.from_tables(tables, ProfileOrigin.SANDBOX)
    assert loaded.profiles == (
        RobinhoodProfile(name="good", url="http://127.0.0.1:9/mcp", origin=ProfileOrigin.SANDBOX),
    )
    assert [(e.profile, e.field) for e in loaded.errors] == [("insecure", "url"), ("future", "kind"), (None, None)]
    assert all(e.line is None for e in loaded.errors)


@pytest.mark.parametrize(
    ("error", "action"),
    [
        (IbkrError("x"), NextAction.RETRY),
        (KeyMaterialError("x"), NextAction.SETUP_KEYS),
        (OAuthError("x"), NextAction.RETRY),
        (VaultError("x"), NextAction.RESTORE_VAULT),
        (VaultLocked("x"), NextAction.UNLOCK_KEYRING),
        (VaultKeyMissing("x"), NextAction.RESTORE_VAULT),
    ],
)
def test_every_expected_failure_is_a_broker_error_with_a_typed_action(error, action):
    assert isinstance(error, BrokerError)
    assert error.action is action


def test_a_connector_without_a_sign_in_says_so_instead_of_pretending():
    (profile,) = REGISTRY.schema.parse(_IBKR).profiles
    ibkr = REGISTRY.of(profile)
    assert not ibkr.signs_in
    with pytest.raises(NotOffered, match=re.escape("no browser sign-in. Run `brokerdeck keys init paper`")):
        ibkr.sign_in(profile, vault=None)
    with pytest.raises(NotOffered, match="no sign-in to end"):
        run_async(lambda: ibkr.sign_out(profile, vault=None))


_IBKR = '[profiles.paper]\nkind = "ibkr-oauth1a"\nbase_url = "https://api.ibkr.com/v1/api"\nconsumer_key = "K"\n'
