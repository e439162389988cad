"""`python -m securebank plan --stack dev|prod|dr-prod [--json]`: what Pulumi would create, offline under mocks.

The program runs in this process under `pulumi.runtime.set_mocks` with the stack's YAML config. The default
output is a tree (component -> resources) with each resource's key settings; `--json` prints
`[{"type", "name", "parent", "inputs"}]` with resolved wire (camelCase) inputs in a stable order, so the plans of
two commits can be diffed.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any

MAX_SETTINGS = 6
MAX_VALUE_CHARS = 60
HIDDEN_KEYS = frozenset({"tags", "policy", "assumeRolePolicy", "body", "dashboardBody", "code", "source"})


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stack", choices=("dev", "prod", "dr-prod"), default="dev", help="stack whose Pulumi.<stack>.yaml to use"
    )
    parser.add_argument("--json", action="store_true", help="print the resource list as JSON")


def run(args: argparse.Namespace) -> int:
    from securebank.infra.mocks import run_program

    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s", stream=sys.stderr)
    resources = run_program(args.stack)
    if args.json:
        json.dump(resources, sys.stdout, indent=1, sort_keys=True)
        sys.stdout.write("\n")
    else:
        print_tree(resources, args.stack)
    return 0


def key_settings(inputs: dict[str, Any]) -> str:
    """A short `key=value` summary of a resource's scalar settings (documents and tags left out)."""
    parts = []
    for key in sorted(inputs):
        value = inputs[key]
        if key in HIDDEN_KEYS or value in (None, [], {}):
            continue
        text = json.dumps(value) if not isinstance(value, str) else value
        parts.append(f"{key}={text[:MAX_VALUE_CHARS]}{'…' if len(text) > MAX_VALUE_CHARS else ''}")
    suffix = f" (+{len(parts) - MAX_SETTINGS} more)" if len(parts) > MAX_SETTINGS else ""
    return ", ".join(parts[:MAX_SETTINGS]) + suffix


def print_tree(resources: list[dict[str, Any]], stack: str) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.tree import Tree

    root = Tree(f"[bold]securebank-{stack}[/] ({len(resources)} resources)")
    nodes: dict[str | None, Tree] = {None: root}
    children: dict[str | None, list[dict[str, Any]]] = {}
    for resource in resources:
        children.setdefault(resource["parent"], []).append(resource)

    def add(parent: str | None) -> None:
        for resource in children.get(parent, []):
            label = f"[cyan]{escape(resource['type'])}[/] [bold]{escape(resource['name'])}[/]"
            settings = key_settings(resource["inputs"])
            node = nodes[parent].add(f"{label}  [dim]{escape(settings)}[/]" if settings else label)
            nodes[resource["name"]] = node
            add(resource["name"])

    add(None)
    Console(width=200).print(root)
