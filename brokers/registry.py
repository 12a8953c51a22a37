"""Every connector this Brokerdeck knows. Adding a broker is a new package plus one line here."""

from __future__ import annotations

from brokers.core.registry import Registry
from brokers.ibkr.connector import IbkrConnector
from brokers.oauth2.connector import OAuth2Connector
from brokers.robinhood.connector import RobinhoodConnector
from brokers.schwab.connector import SchwabConnector

REGISTRY = Registry((IbkrConnector(), RobinhoodConnector(), SchwabConnector(), OAuth2Connector()))
