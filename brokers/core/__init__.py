"""Broker-independent models and rules: profiles, connection state, credential health, paths."""
