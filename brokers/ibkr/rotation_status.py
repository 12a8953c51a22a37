"""An IBKR rotation's journal in the trader's words: what to register, what confirm asks, what to do next.

Everything here is public (public keys, fingerprints, steps); nothing secret ever leaves a journal this way.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from brokers.core.rotation import RegisterPart, RotationField, RotationStatus, RotationStep
from brokers.ibkr.credential_set import CredentialSet
from brokers.ibkr.keys import (
    dh_params_fingerprint,
    load_dh_prime,
    load_private_key,
    public_key_fingerprint,
    public_key_pem,
)
from brokers.ibkr.profile import IbkrProfile
from brokers.ibkr.rotation_journal import Journal
from brokers.ibkr.vault_entries import ACCESS_TOKEN, DH_PARAMS, ENCRYPTION_KEY, SIGNATURE_KEY

CONSUMER_KEY_FIELD = "consumer_key"
ACCESS_TOKEN_FIELD = "access_token"  # noqa: S105 - a field's name
SECRET_FIELD = "access_token_secret"  # noqa: S105 - a field's name


def when(moment: float) -> str:
    """A moment as the journal's results say it: `2026-05-12 10:15:00 UTC`."""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def register_parts(staged: CredentialSet, new_dh: bool) -> tuple[RegisterPart, ...]:
    """The public halves of the staged keys and the DH parameters, with SHA-256 fingerprints."""
    signature = load_private_key(staged.entries[SIGNATURE_KEY])
    encryption = load_private_key(staged.entries[ENCRYPTION_KEY])
    dh_text = staged.entries[DH_PARAMS]
    return (
        RegisterPart("Public signature key", public_key_fingerprint(signature), public_key_pem(signature)),
        RegisterPart("Public encryption key", public_key_fingerprint(encryption), public_key_pem(encryption)),
        RegisterPart(
            "Diffie-Hellman parameters" + (", new" if new_dh else ", unchanged"),
            dh_params_fingerprint(load_dh_prime(dh_text)),
            dh_text,
        ),
    )


def confirm_fields(profile: IbkrProfile) -> tuple[RotationField, ...]:
    """What `confirm` takes: the portal's answers for the new keys, as `keys init` asks for them."""
    return (
        RotationField(CONSUMER_KEY_FIELD, "Consumer key", default=profile.consumer_key),
        RotationField(ACCESS_TOKEN_FIELD, "Access token"),
        RotationField(SECRET_FIELD, "Access token secret", hidden=True),
    )


def stored_token(stored: CredentialSet) -> str:
    """The access token of a complete set (to mask it in messages), or empty."""
    record = stored.entries.get(ACCESS_TOKEN)
    return str(json.loads(record)["access_token"]) if record else ""


def status_of(profile: IbkrProfile, journal: Journal, *, running: bool) -> RotationStatus:
    """The status a journal stands for; `running`: a process holds the rotation lock now."""
    name, step = profile.name, journal.step
    rotate = f"brokerdeck keys rotate {name}"
    register: tuple[RegisterPart, ...] = ()
    fields: tuple[RotationField, ...] = ()
    interrupted = False
    if step == RotationStep.IDLE:
        next_step = f"No rotation is under way. `{rotate} start` begins one."
    elif step == RotationStep.STAGED and journal.staged is not None:
        register, fields = register_parts(journal.staged, journal.new_dh), confirm_fields(profile)
        next_step = (
            f"Register the public keys and DH parameters in IBKR's self-service portal for consumer key "
            f"{profile.consumer_key}, then run `{rotate} confirm` with the access token and secret it issues "
            f"(or `{rotate} abort`). The active set keeps working meanwhile."
        )
    elif running:
        next_step = "A confirm is under way in a Brokerdeck window or command: wait for it to finish."
    else:
        interrupted = True
        doing = "proving the new set" if step == RotationStep.PROVING else "rolling back"
        what = f"A restore of {journal.restoring}" if journal.restoring else "A confirm"
        next_step = (
            f"{what} was cut off while {doing}; the old set is still active. Run `{rotate} confirm` to resume it, "
            f"or `{rotate} abort` to discard what was staged."
        )
        if journal.staged is not None and not journal.restoring:
            register = register_parts(journal.staged, journal.new_dh)
    return RotationStatus(
        profile=name,
        step=step,
        started_at=journal.started_at,
        register=register,
        fields=fields,
        interrupted=interrupted,
        last_result=journal.last_result,
        next_step=next_step,
    )
