"""A Robinhood-like agentic-trading MCP server: an authorization server whose issuer is the MCP URL, and
the MCP endpoint itself (Streamable HTTP, the SDK's server), strict where Robinhood is strict."""
