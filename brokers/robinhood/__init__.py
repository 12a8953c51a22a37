"""Robinhood's agentic-trading MCP server. This version declares the profile kind; connecting comes next."""
