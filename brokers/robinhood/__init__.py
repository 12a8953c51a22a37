"""Robinhood's agentic-trading MCP server: the OAuth engine's sign-in, the MCP SDK's transport with our tokens."""
