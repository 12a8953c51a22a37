"""Scrub anything that looks like a credential out of text before it is logged or shown.

Applied to every log record and every error dialog. It errs on the side of hiding: a long opaque
token-like string is replaced even when it is harmless.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

MASK = "[REDACTED]"

_SECRET_WORDS = (
    r"token|secret|password|passwd|passphrase|api_?key|private_?key|verifier|assertion|signature"  # noqa: S105 - names to look for
    r"|cookie|challenge"
)

# Credentials in the token68 form of an Authorization header (RFC 9110 §11.4).
_TOKEN68 = r"[A-Za-z0-9._~+/-]+=*"

# A long run of base64/hex alphabet is masked only when it mixes letters and digits and is not a
# file path, so tracebacks and module paths stay readable.
_OPAQUE = re.compile(r"(?<![\w/+=.-])[A-Za-z0-9+/_-]{32,}={0,2}(?![\w/+=-])")


def _mask_credential(match: re.Match[str]) -> str:
    """`Bearer mF_9.B5f` loses its token; `Bearer tokens` in a sentence is a word and stays."""
    scheme, credential = match.group(1), match.group(2)
    worded = credential.isalpha() and len(credential) < 20 and credential[1:].islower()
    return match.group(0) if worded else f"{scheme} {MASK}"


# Every pattern masks the secret itself and keeps the words around it: a log line must still say what
# happened ("OAuth sign-in for X ended: …" is a sentence, not a header).
_PATTERNS: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    # PEM blocks (private keys, certificates with keys).
    (re.compile(r"-----BEGIN [A-Z ]+-----.*?(?:-----END [A-Z ]+-----|\Z)", re.S), MASK),
    # Schemes whose credentials are a list of parameters (OAuth 1.0a, Digest): the list, not what follows it.
    (re.compile(r'\b(OAuth|Digest)\s+(?:[\w-]+\s*=\s*(?:"[^"]*"|[^\s,"]+)(?:\s*,\s*)?)+'), r"\1 " + MASK),
    # Bearer, Basic and DPoP credentials.
    (re.compile(r"(?i)\b(Bearer|Basic|DPoP)\s+(" + _TOKEN68 + ")"), _mask_credential),
    # An Authorization field's whole value, scheme included.
    (
        re.compile(
            r"(?i)([\"']?\b[\w.-]*authorization[\w.-]*[\"']?\s*[:=]\s*)"
            r"(\"[^\"]*\"|'[^']*'|(?:(?:Bearer|Basic|DPoP|OAuth|Digest|Negotiate)\s+)?(?:\[REDACTED\]|[^\s&,;}\])]+))"
        ),
        r"\1" + MASK,
    ),
    # JSON members, dict items and key=value pairs whose name says secret (refresh_token, oauth_signature...).
    (
        re.compile(
            r"(?i)([\"']?\b[\w.-]*(?:" + _SECRET_WORDS + r")[\w.-]*[\"']?\s*[:=]\s*)"
            r"(\"[^\"]*\"|'[^']*'|[^\s&,;}\])]+)"
        ),
        r"\1" + MASK,
    ),
    # Authorization codes (a query, a form body, a JSON member; a number is an error code, not a grant),
    # and state in redirect URLs.
    (
        re.compile(r"(?i)((?<![\w.-])[\"']?code[\"']?\s*[:=]\s*)(?!\d+\b)(\"[^\"]*\"|'[^']*'|[^&#\s\"',;}\])]+)"),
        r"\1" + MASK,
    ),
    (re.compile(r"(?i)([?&]state=)[^&#\s]+"), r"\1" + MASK),
    # JWTs.
    (re.compile(r"\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*"), MASK),
)


def _mask_opaque(match: re.Match[str]) -> str:
    run = match.group(0)
    has_digit = any(c.isdigit() for c in run)
    has_alpha = any(c.isalpha() for c in run)
    return MASK if has_digit and has_alpha and run.count("/") <= 2 else run


def redact(text: str) -> str:
    """Return `text` with every credential-looking part replaced by a mask."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return _OPAQUE.sub(_mask_opaque, text)


class RedactingFilter(logging.Filter):
    """Log filter that redacts the fully formatted message and traceback of every record.

    The message is rendered here (args merged, exception text appended), so a secret passed as a
    format argument or carried in an exception cannot slip past a formatter.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            text = f"{text}\n{record.exc_text}"
        if record.stack_info:
            text = f"{text}\n{record.stack_info}"
        record.msg = redact(text)
        record.args = None
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True
