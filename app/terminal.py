"""A terminal conversation for the key commands: prompts on a terminal, one line per answer from a pipe."""

from __future__ import annotations

import getpass
import sys


class Terminal:
    """Prompts on a terminal; reads one line per answer from standard input otherwise. Hidden answers (secrets)
    are never echoed."""

    def say(self, text: str) -> None:
        print(text)

    def warn(self, text: str) -> None:
        print(text, file=sys.stderr)

    def ask(self, prompt: str, *, hidden: bool = False) -> str:
        if sys.stdin.isatty():
            return (getpass.getpass(prompt) if hidden else input(prompt)).strip()
        print(prompt.rstrip(), flush=True)  # a script driving us waits for the prompt line
        line = sys.stdin.readline()
        if not line:
            raise EOFError(f"standard input ended before the answer to {prompt.strip()!r}")
        return line.strip()
