"""`rollcall config check [--config PATH]` and `rollcall config schema`: the config's own verbs.

They run before (and instead of) loading the config the other verbs need: `check` reports every
problem, one line each, and exits 1 when there is any; `schema` prints the JSON Schema (draft
2020-12) that editors (Taplo, VS Code's Even Better TOML) use to complete and check rollcall.toml.
"""

from __future__ import annotations

import argparse
import json
import sys

from bot.config import ConfigError, config_schema, load_config


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    verbs = sub.add_parser("config", help="check the config file, or print its JSON Schema")
    actions = verbs.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    check = actions.add_parser("check", help="validate a config file; one line per problem")
    # also after the verb; the global --config stays the default
    check.add_argument("--config", default=argparse.SUPPRESS, help="TOML config file")
    actions.add_parser("schema", help="print the config file's JSON Schema (draft 2020-12)")


def run(args: argparse.Namespace) -> int:
    if args.config_command == "schema":
        sys.stdout.write(json.dumps(config_schema(), indent=2) + "\n")
        return 0
    try:
        load_config(args.config)
    except ConfigError as e:
        lines = [f"{e.source}: {p}" for p in e.errors] if e.source else [str(e)]
        sys.stdout.write("".join(line + "\n" for line in lines))
        return 1
    sys.stdout.write(f"{args.config}: ok\n")
    return 0
