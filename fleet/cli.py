"""`python -m fleet`: the fleet's command line, for CI and for DevOps at a terminal.

Every command reads the stack file itself (no Pulumi engine, no credentials), so it runs on any
pull request. Exit codes: 0 ok, 1 the stack config is invalid, 2 usage error or no stack file.
"""

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from fleet.config import FleetConfigError, FleetSpec
from fleet.stackfile import StackFileError, StackFileNotFoundError, load_stack_config

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2


class CommandError(Exception):
    """Ends a command: `lines` go to stderr and the process exits with `exit_code`."""

    def __init__(self, exit_code: int, lines: Sequence[str]) -> None:
        super().__init__("\n".join(lines))
        self.exit_code = exit_code
        self.lines = list(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command: Callable[[argparse.Namespace], int] = args.command
    try:
        return command(args)
    except CommandError as error:
        for line in error.lines:
            print(line, file=sys.stderr)
        return error.exit_code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m fleet", description="Tools for the stagefleet stack config."
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    # Options shared by every command that works on one stack.
    stack = argparse.ArgumentParser(add_help=False)
    stack.add_argument(
        "--stack", required=True, help="stack name, e.g. staging (reads ./Pulumi.<stack>.yaml)"
    )
    stack.add_argument("--file", type=Path, help="read this stack file instead")

    validate = commands.add_parser(
        "validate", parents=[stack], help="check a stack's stagefleet config and list its problems"
    )
    validate.set_defaults(command=run_validate)
    return parser


def run_validate(args: argparse.Namespace) -> int:
    spec = load_spec(args)
    names = [environment.name for environment in spec.environments]
    listing = f" ({', '.join(names)})" if names else ""
    print(f"ok: stack {args.stack} — {_count(len(names), 'environment')}{listing}")
    return EXIT_OK


def stack_file(args: argparse.Namespace) -> Path:
    # A fully qualified stack (org/project/staging) keeps its settings in Pulumi.staging.yaml.
    return args.file or Path.cwd() / f"Pulumi.{args.stack.rsplit('/', 1)[-1]}.yaml"


def load_spec(args: argparse.Namespace) -> FleetSpec:
    """The parsed stack config, or a CommandError that explains why there is none."""
    path = stack_file(args)
    try:
        config = load_stack_config(path)
    except StackFileNotFoundError as error:
        advice = "" if args.file else " (run from the Pulumi project directory, or pass --file)"
        raise CommandError(EXIT_USAGE, [f"error: {error}{advice}"]) from None
    except StackFileError as error:
        raise CommandError(EXIT_INVALID, [f"error: {error}"]) from None
    try:
        return FleetSpec.from_config(config)
    except FleetConfigError as error:
        lines: list[str] = []
        for problem in error.problems:
            lines.append(str(problem))
            if problem.hint:
                lines.append(f"  hint: {problem.hint}")
        summary = _count(len(error.problems), "problem")
        lines.append(f"error: stack {args.stack} is invalid: {summary} in {path.name}")
        raise CommandError(EXIT_INVALID, lines) from None


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
