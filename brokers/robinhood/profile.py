"""The `robinhood-mcp` profile: Robinhood's agentic-trading MCP server, named by its URL.

Everything else is fixed by Robinhood: the MCP URL is also the OAuth issuer and the resource the tokens are
for, the only scope is `internal`, and Brokerdeck registers itself (DCR) on a loopback redirect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from brokers.core.profiles import Profile, declared, parse_url
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

    def oauth(self) -> OAuth2Profile:
        """The same profile as the OAuth engine sees it: issuer and resource are the MCP URL, scope `internal`."""
        return OAuth2Profile(
            name=self.name, label=self.label, origin=self.origin, issuer=self.url, resource=self.url, scopes=(SCOPE,)
        )
