"""Child process for the crash test: rewrites one blob forever, printing each completed index.

Each value is 8 KB made of its own index, so a reader can tell exactly which write it sees.
"""

from __future__ import annotations

import sys
from pathlib import Path

from brokers.vault import KeyringKeySource, Vault


def value_for(index: int) -> bytes:
    return (f"{index:08d}".encode() * 1024)[:8192]


def index_of(value: bytes) -> int:
    index = int(value[:8])
    if value != value_for(index):
        raise ValueError("blob content is a mix of two writes")
    return index


def main() -> None:
    directory = Path(sys.argv[1])
    vault = Vault(directory, KeyringKeySource(Vault.install_id(directory)))
    current = vault.get("crash", "token-set")
    index = index_of(current) if current is not None else 0
    print("ready", flush=True)
    while True:
        index += 1
        vault.put("crash", "token-set", value_for(index))
        print(index, flush=True)


if __name__ == "__main__":
    main()
