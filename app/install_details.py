"""What Help > About tells about this installation: where its files are and which vault keeps its secrets."""

from __future__ import annotations

from app.context import AppContext
from brokers.vault import Vault


def install_details(context: AppContext, vault: Vault) -> tuple[tuple[str, str], ...]:
    """(what, value) lines: the folders, and the vault's own one-line description (never a secret)."""
    paths = context.paths
    try:
        backend = vault.key_source.describe()
    except Exception as exc:  # a keyring that cannot even say what it is: About still opens
        backend = f"unknown ({type(exc).__name__})"
    return (
        ("Config", str(paths.config_dir)),
        ("Data", str(paths.data_dir)),
        ("Logs", str(paths.log_dir)),
        ("Vault", backend),
    )
