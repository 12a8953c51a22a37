"""Every connector this Brokerdeck knows. Adding a broker is a new package plus one line here."""

from __future__ import annotations

from brokers.core.registry import Registry
from brokers.ibkr.connector import IbkrConnector
from brokers.ibkr.oauth2_connector import IbkrOAuth2Connector
from brokers.oauth2.connector import OAuth2Connector
from brokers.robinhood.connector import RobinhoodConnector
from brokers.schwab.connector import SchwabConnector

REGISTRY = Registry(
    (IbkrConnector(), IbkrOAuth2Connector(), RobinhoodConnector(), SchwabConnector(), OAuth2Connector())
)
