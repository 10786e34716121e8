"""`pipeline settings [--json] [--table]`: the settings in force (secrets masked), or the documented table."""

from __future__ import annotations

import argparse

from pipeline.entrypoints.cli.output import table


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("settings", parents=[common], help="show the settings in force (PIPELINE_* variables)",
                       description="Every setting with the value in force: the environment's, else the default. "
                                   "Passwords and keys are shown as ***.")
    p.add_argument("--table", action="store_true", help="print the documented table (markdown) instead")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(handler=_show)


def _show(args: argparse.Namespace) -> int:
    from pipeline.entrypoints.cli import print_json, settings_from
    from pipeline.settings import markdown_table, shown_values

    if args.table:
        print(markdown_table(), end="")
        return 0
    values = shown_values(settings_from(args))
    if args.json:
        print_json(dict(values))
        return 0
    for line in table([[name, str(value)] for name, value in values], widths=(0, None),
                      header=("Innstilling", "Verdi i bruk")):
        print(line)
    return 0
