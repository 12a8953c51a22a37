"""The OAuth 2.1 engine for desktop clients: discovery, registration, PKCE login, tokens. No Qt."""
