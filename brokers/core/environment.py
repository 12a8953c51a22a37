"""Names of the environment variables that change how Brokerdeck keeps secrets.

Kept apart from the vault so the window can read them without loading the keyring stack first.
"""

VAULT_BACKEND_ENV = "BROKERDECK_VAULT"
VAULT_PASSPHRASE_ENV = "BROKERDECK_VAULT_PASSPHRASE"  # noqa: S105 - a variable name
