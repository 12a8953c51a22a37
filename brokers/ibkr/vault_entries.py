"""The names of an IBKR profile's vault entries (either kind): what `keys init` writes and a session needs."""

from __future__ import annotations

SIGNATURE_KEY = "signature-key"
ENCRYPTION_KEY = "encryption-key"
DH_PARAMS = "dh-params"
ACCESS_TOKEN = "access-token"  # noqa: S105 - the vault entry's name

#: every entry that must exist before the profile can connect
REQUIRED = frozenset({SIGNATURE_KEY, ENCRYPTION_KEY, DH_PARAMS, ACCESS_TOKEN})
#: the entries whose age the rotation policy watches, by the name the health shows (the encryption key is
#: made with the signature key, so the signature key's age is the keys' age)
AGED = {"signature key": SIGNATURE_KEY, "access token": ACCESS_TOKEN}

#: the `ibkr-oauth2` kind's one secret: the RSA private key whose public half IBKR registered
OAUTH2_PRIVATE_KEY = "oauth2-private-key"
OAUTH2_REQUIRED = frozenset({OAUTH2_PRIVATE_KEY})
OAUTH2_AGED = {"private key": OAUTH2_PRIVATE_KEY}

#: the `ibkr-oauth1a` kind's rotation journal: the step a rotation is at and the material it staged
ROTATION_JOURNAL = "rotation-journal"
#: a set a rotation replaced is kept as `archive-<UTC time>` (brokers/core/rotation_journal.py)
ARCHIVE_PREFIX = "archive"
