"""The `robinhood-mcp` profile: Robinhood's agentic-trading MCP server, named by its URL.

Robinhood fixes the rest: the MCP URL is also the OAuth issuer and the resource the tokens are for, the only
scope is `internal` (its resource metadata says so), and Brokerdeck registers itself (DCR) on a loopback
redirect. Another MCP server whose authorization server lives elsewhere names it in `issuer`; `scopes`
overrides what the server's resource metadata lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from brokers.core.profiles import Profile, declared, parse_exact_url, parse_scopes, parse_url
from brokers.oauth2.profile import OAuth2Profile

ROBINHOOD_MCP_URL = "https://agent.robinhood.com/mcp/trading"
SCOPE = "internal"


@dataclass(frozen=True, kw_only=True)
class RobinhoodProfile(Profile):
    kind: ClassVar[str] = "robinhood-mcp"
    url: str = declared(
        parse_url,
        default=ROBINHOOD_MCP_URL,
        title="MCP server",
        help_text="Robinhood's agentic-trading MCP server. Keep the default unless you test against a sandbox.",
        example=ROBINHOOD_MCP_URL,
    )
    issuer: str = declared(
        parse_exact_url,
        default="",
        help_text="The authorization server, when it is not the MCP URL itself (Robinhood's is). Leave it empty.",
        example="https://auth.example.com",
    )
    scopes: tuple[str, ...] = declared(
        parse_scopes,
        default=(),
        help_text="The permissions to ask for; empty asks for what the server's metadata lists (`internal`).",
        example=SCOPE,
    )

    def oauth(self) -> OAuth2Profile:
        """The same profile as the OAuth engine sees it: the resource is the MCP URL, and so is the issuer unless
        the profile names another; no scopes means those the server's resource metadata lists."""
        return OAuth2Profile(
            name=self.name,
            label=self.label,
            origin=self.origin,
            issuer=self.issuer or self.url,
            resource=self.url,
            scopes=self.scopes,
        )
