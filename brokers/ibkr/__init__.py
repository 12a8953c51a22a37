"""Interactive Brokers Client Portal Web API: OAuth 1.0a signing, key material and the live session token."""
