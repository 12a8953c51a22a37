"""The HTML the user sees at the sandbox broker: the sign-in and consent page, and error pages.

Self-contained (inline CSS, no scripts, no external resources) and HTML-escaped throughout, since
client names, scopes and redirect hosts all come from the client. Tests and a real browser drive the
page by its ids: `username`, `password`, `approve`, `deny`.
"""

from __future__ import annotations

from html import escape

TITLE = "Sandbox Broker — sign in"
DECISION_PATH = "/auth/authorize/decision"
# The demo sign-in the page offers, prefilled; the sandbox accepts any non-empty pair.
_DEMO_USER, _DEMO_SIGN_IN = "trader", "sandbox"

# No scripts, no framing (clickjacking), styles only inline. No form-action: browsers apply it to the
# redirect after the form is posted, which goes to the client's loopback listener.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

_STYLE = """
body { font-family: system-ui, sans-serif; background: #f3f4f6; color: #111827; margin: 0; }
main { max-width: 26rem; margin: 4rem auto; background: #fff; border-radius: 0.5rem; padding: 2rem;
       box-shadow: 0 1px 3px rgba(0, 0, 0, 0.15); }
h1 { font-size: 1.3rem; margin-top: 0; }
label { display: block; margin-top: 0.8rem; font-size: 0.9rem; }
input { width: 100%; box-sizing: border-box; padding: 0.45rem; margin-top: 0.2rem; }
ul { padding-left: 1.2rem; }
.error { background: #fee2e2; color: #991b1b; padding: 0.6rem; border-radius: 0.3rem; }
.buttons { display: flex; gap: 0.6rem; margin-top: 1.2rem; }
button { flex: 1; padding: 0.6rem; font-size: 1rem; border-radius: 0.3rem; border: 1px solid #9ca3af; }
#approve { background: #1d4ed8; color: #fff; border-color: #1d4ed8; }
.muted { color: #6b7280; font-size: 0.85rem; }
"""


def _document(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def consent_page(
    *,
    request_id: str,
    client_label: str,
    scopes: tuple[str, ...],
    redirect_host: str,
    error: str | None = None,
    username: str = _DEMO_USER,
    decision_path: str = DECISION_PATH,
) -> str:
    """Sign in and allow or deny `client_label` the scopes it asked for."""
    items = "\n".join(f"<li>{escape(s)}</li>" for s in scopes)
    problem = f'<p class="error" id="error">{escape(error)}</p>\n' if error else ""
    body = f"""<h1>{escape(TITLE)}</h1>
{problem}<p><strong id="client">{escape(client_label)}</strong> wants access to your sandbox account:</p>
<ul id="scopes">
{items}
</ul>
<p class="muted">You will be sent back to <span id="redirect-host">{escape(redirect_host)}</span>.</p>
<form method="post" action="{escape(decision_path)}">
<input type="hidden" name="request_id" value="{escape(request_id)}">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" value="{escape(username)}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" \
value="{escape(_DEMO_SIGN_IN)}">
<div class="buttons">
<button id="approve" name="decision" value="allow">Allow</button>
<button id="deny" name="decision" value="deny">Deny</button>
</div>
</form>"""
    return _document(TITLE, body)


def error_page(message: str) -> str:
    """Shown instead of redirecting when the redirect target cannot be trusted or the request is gone."""
    body = (
        f"<h1>{escape('Sandbox Broker — request refused')}</h1>\n"
        f'<p class="error" id="error">{escape(message)}</p>\n'
        '<p class="muted">Nothing was sent back to the application. Start again from the application.</p>'
    )
    return _document("Sandbox Broker — error", body)
