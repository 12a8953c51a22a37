"""`brokerdeck mcp tools PROFILE` and `brokerdeck mcp call PROFILE TOOL [JSON]`: a broker's MCP tools from a
terminal, on the stored sign-in (renewed silently; never a browser).

Only read-only tools are called. A tool the server does not mark read-only may place or change orders, and
orders go through Brokerdeck's trading mode only, so it is refused here with that said.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING, Any

from app.missing_profile import explain_missing

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from app.context import AppContext
    from brokers.core.profiles import Profile
    from brokers.core.tools import ToolProvider, ToolSession

    #: what a command does with the open tool session; its exit code
    type ToolWork = Callable[[ToolSession], Coroutine[Any, Any, int]]

_DESCRIPTION_WIDTH = 90


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="mcp_action", metavar="ACTION", required=True)
    tools = actions.add_parser("tools", help="list the server's tools: name, read-only or write, what it does")
    tools.add_argument("profile", help="a signed-in profile whose broker is an MCP server (robinhood-mcp)")
    call = actions.add_parser(
        "call",
        help="call a read-only tool and print its JSON result (write tools are refused)",
        description="Call a read-only tool of the profile's MCP server and print its result as JSON. Tools that "
        "may change something (orders) are refused: orders go through Brokerdeck's trading mode.",
    )
    call.add_argument("profile", help="a signed-in profile whose broker is an MCP server (robinhood-mcp)")
    call.add_argument("tool", help="the tool's name, as `brokerdeck mcp tools PROFILE` lists it")
    call.add_argument("arguments", nargs="?", default="{}", help="the arguments as a JSON object, e.g. '{\"a\": 1}'")


def run(context: AppContext, args: argparse.Namespace) -> int:
    found = _provider(context, args.profile)
    if found is None:
        return 2
    profile, provider = found
    if args.mcp_action == "tools":
        return _run(context, profile, provider, _list_tools)
    try:
        arguments = json.loads(args.arguments)
    except ValueError as exc:
        return _fail(f'the arguments are not JSON ({exc}); pass an object such as \'{{"account_number": "…"}}\'')
    if not isinstance(arguments, dict):
        return _fail('the arguments must be a JSON object, such as \'{"account_number": "…"}\'')

    async def call(tools: ToolSession) -> int:
        return await _call(tools, profile, args.tool, arguments)

    return _run(context, profile, provider, call)


async def _list_tools(tools: ToolSession) -> int:
    listed = sorted(tools.tool_list, key=lambda t: t.name)
    width = max((len(t.name) for t in listed), default=0)
    for tool in listed:
        line = " ".join(tool.description.split())
        if len(line) > _DESCRIPTION_WIDTH:
            line = line[: _DESCRIPTION_WIDTH - 1] + "…"
        print(f"{tool.name:<{width}}  {'read-only' if tool.read_only else 'write    '}  {line}")
    return 0


async def _call(tools: ToolSession, profile: Profile, name: str, arguments: dict[str, Any]) -> int:
    tool = next((t for t in tools.tool_list if t.name == name), None)
    if tool is None:
        return _fail(f"{profile.name} has no tool named {name!r}; `brokerdeck mcp tools {profile.name}` lists them")
    if not tool.read_only:
        return _fail(
            f"{name} is a write tool (it can place or change orders) and this command calls read-only tools only. "
            "Orders go through Brokerdeck's trading mode, which a later version adds."
        )
    result = await tools.read(name, arguments)
    print(json.dumps(result, indent=2, sort_keys=True, ensure_ascii=False))
    return 0


def _run(context: AppContext, profile: Profile, provider: ToolProvider, work: ToolWork) -> int:
    from brokers.core.actions import NextAction
    from brokers.core.errors import BrokerError

    async def session() -> int:
        async with provider.open_tools(profile, context.vault()) as tools:
            return await work(tools)

    try:
        return asyncio.run(session())
    except KeyboardInterrupt:
        return 130
    except BrokerError as exc:
        fix = ""
        if exc.action in (NextAction.CONNECT, NextAction.RECONNECT):
            fix = f" Run `brokerdeck login {profile.name}`."
        return _fail(f"{str(exc).rstrip('.')}.{fix}")


def _provider(context: AppContext, name: str) -> tuple[Profile, ToolProvider] | None:
    from brokers.core.tools import ToolProvider

    sandbox = context.sandbox()
    profiles = context.profiles(sandbox)
    profile = profiles.get(name)
    if profile is None:
        why = explain_missing(name, profiles, sandbox)
        known = [p.name for p in profiles.profiles if isinstance(context.registry.of(p), ToolProvider)]
        _fail(why or f"no profile named {name!r}; profiles with MCP tools: {', '.join(known) or 'none'}")
        return None
    connector = context.registry.of(profile)
    if not isinstance(connector, ToolProvider):
        _fail(f"{name!r} is a {profile.kind} profile ({connector.title}), which has no MCP tools")
        return None
    return profile, connector


def _fail(message: str) -> int:
    print(f"brokerdeck mcp: {message}", file=sys.stderr)
    return 1
