"""Shell completion: the scripts for bash, zsh and fish (argcomplete's), and stack names.

The shell runs ``cloud66-async`` with argcomplete's environment variables set; ``run()`` hands
the parser to argcomplete, which prints the candidates and exits before any command runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import Any

import argcomplete

from .. import Client, Cloud66Error
from ._core import PROG

__all__ = ["STACK_LOOKUP_SECONDS", "complete", "script", "stack_names"]

#: How long completing a stack name may wait for the API before offering nothing.
STACK_LOOKUP_SECONDS = 2.0
_MAX_NAMES = 500


def script(shell: str) -> str:
    """Return the completion script for ``shell`` (``bash``, ``zsh`` or ``fish``)."""
    return argcomplete.shellcode([PROG], shell=shell).strip("\n")


async def _names(token: str | None, base_url: str | None, account: str | None) -> list[str]:
    async with Client(
        token, base_url=base_url, account_id=account, timeout=STACK_LOOKUP_SECONDS
    ) as c:
        names: list[str] = []
        async for stack in c.stacks.list(max_items=_MAX_NAMES):
            if stack.name and stack.name not in names:
                names.append(stack.name)
        return names


def stack_names(prefix: str, parsed_args: argparse.Namespace, **_: Any) -> list[str]:
    """Complete a STACK argument: the names of the stacks the token sees that start with
    ``prefix`` (an argcomplete completer). Offers nothing when the API does not answer in time.
    """
    try:
        names = asyncio.run(
            asyncio.wait_for(
                _names(
                    getattr(parsed_args, "token", None),
                    getattr(parsed_args, "base_url", None),
                    getattr(parsed_args, "account", None),
                ),
                STACK_LOOKUP_SECONDS,
            )
        )
    except (Cloud66Error, TimeoutError, OSError):
        return []
    return [name for name in names if name.startswith(prefix)]


def complete(parser: argparse.ArgumentParser) -> None:
    """Answer the shell's completion request and exit, when there is one (else return)."""
    if "_ARGCOMPLETE" in os.environ:
        argcomplete.autocomplete(parser, always_complete_options="long")
