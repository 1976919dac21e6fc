"""`python -m fleet`: the fleet's command line, for CI and for DevOps at a terminal.

Every command reads the stack file itself (no Pulumi engine, no credentials), so it runs on any
pull request. Exit codes: 0 ok, 1 the stack config is invalid, 2 usage error, no stack file, or
(janitor, review-comment) an input file that is not what it should be.

  validate --stack staging|pr|pr-<n>   check a fleet stack, the review template or a review stack
  janitor --stacks F --open-prs F      which review stacks to destroy, and why
  review-comment --outputs F --stack S the pull request comment of a review stack
"""

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fleet import janitor, naming
from fleet.config import ConfigProblem, FleetConfigError, FleetSpec
from fleet.review import ReviewSpec, fleet_stack_of, is_review_stack, render_review_comment
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

    sweep = commands.add_parser(
        "janitor",
        help="list the review stacks to destroy (pull request closed, or idle beyond the TTL)",
        description="Reads recorded `pulumi stack ls --json` and `gh pr list --state open --json "
        "number,headRefName,updatedAt` output and prints `destroy <stack>: <reason>` for every "
        "pr-<number> stack to destroy, then `keep` and `expired` lines.",
    )
    sweep.add_argument("--stacks", type=Path, required=True, help="output of pulumi stack ls --json")
    sweep.add_argument(
        "--open-prs", type=Path, required=True,
        help="output of gh pr list --state open --json number,headRefName,updatedAt",
    )  # fmt: skip
    sweep.add_argument("--now", type=_moment, help="ISO 8601 date and time (default: now, UTC)")
    sweep.add_argument(
        "--ttl-days", type=_positive, help="days without an update before a review stack is destroyed "
        "(default: stagefleet:limits.reviewStackTtlDays of the fleet stack given with --stack, else 7)",
    )  # fmt: skip
    sweep.add_argument("--format", choices=("text", "json"), default="text")
    sweep.add_argument(
        "--stack", help="the fleet stack, e.g. staging: its TTL and its expired environments"
    )
    sweep.add_argument("--file", type=Path, help="read the fleet stack from this file instead")
    sweep.set_defaults(command=run_janitor)

    comment = commands.add_parser(
        "review-comment", help="the pull request comment of a review stack, from its outputs"
    )
    comment.add_argument("--outputs", type=Path, required=True, help="output of pulumi stack output --json")
    comment.add_argument("--stack", required=True, help="the review stack, e.g. pr-12")
    comment.add_argument("--ttl-days", type=_positive, help="mention the janitor's TTL")
    comment.set_defaults(command=run_review_comment)
    return parser


def _moment(text: str) -> dt.datetime:
    try:
        return janitor.parse_now(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date and time: {text!r}") from None


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return number


def run_validate(args: argparse.Namespace) -> int:
    path = stack_file(args)
    config = read_stack_config(args, path)
    if is_review_stack(args.stack, config):
        return validate_review(args, path, config)
    spec = parse_spec(args, path, config)
    names = [environment.name for environment in spec.environments]
    listing = f" ({', '.join(names)})" if names else ""
    print(f"ok: stack {args.stack} — {_count(len(names), 'environment')}{listing}")
    return EXIT_OK


def validate_review(args: argparse.Namespace, path: Path, config: dict[str, Any]) -> int:
    """A review stack: the template `pr` (no stagefleet:pullRequest yet) or a `pr-<n>`, checked
    against the fleet stack it names, read from the same directory."""
    require_pull_request = naming.review_stack_number(args.stack) is not None
    try:
        fleet_stack = fleet_stack_of(config)
    except FleetConfigError as error:
        raise invalid(error.problems, args.stack, path) from None
    fleet_path = path.parent / f"Pulumi.{naming.stack_short_name(fleet_stack)}.yaml"
    try:
        fleet_config = load_stack_config(fleet_path)
    except StackFileNotFoundError:
        problem = ConfigProblem(
            "stagefleet:fleetStack",
            f"no stack file for the fleet stack {fleet_stack}: {fleet_path} does not exist",
        )
        raise invalid([problem], args.stack, path) from None
    except StackFileError as error:
        raise CommandError(EXIT_INVALID, [f"error: fleet stack {fleet_stack}: {error}"]) from None
    try:
        fleet = FleetSpec.from_config(fleet_config)
    except FleetConfigError as error:
        raise invalid(error.problems, fleet_stack, fleet_path, read_by=args.stack) from None
    try:
        review = ReviewSpec.from_config(
            config, fleet, require_pull_request=require_pull_request, stack_name=args.stack
        )
    except FleetConfigError as error:
        raise invalid(error.problems, args.stack, path) from None
    database = _describe_database(review)
    if review.pull_request is None:
        what = f"template of the pr-<number> stacks; fleet stack {review.fleet_stack}"
    else:
        pull_request = review.pull_request
        what = (
            f"environment {naming.pr_environment_name(pull_request.number)} for pull request "
            f"#{pull_request.number} ({pull_request.branch}); fleet stack {review.fleet_stack}"
        )
    print(f"ok: review stack {args.stack} — {what}; database: {database}")
    return EXIT_OK


def _describe_database(review: ReviewSpec) -> str:
    database = review.database
    described = {
        "branch": f"branch of {database.source}",
        "shared": f"shared with {database.source}",
    }.get(database.strategy, database.strategy)
    return described + (" (default)" if review.database_is_default else "")


def run_janitor(args: argparse.Namespace) -> int:
    # Every input is read and checked before anything is printed: on error, nothing is listed.
    try:
        stacks = janitor.parse_stacks(janitor.read_json_file(args.stacks), str(args.stacks))
        open_prs = janitor.parse_open_pull_requests(
            janitor.read_json_file(args.open_prs), str(args.open_prs)
        )
    except janitor.JanitorInputError as error:
        raise CommandError(EXIT_USAGE, [f"error: {error}", "error: nothing listed for destruction"]) from None
    fleet = load_spec(args) if args.stack else None
    if args.ttl_days is not None:
        ttl_days = args.ttl_days
    elif fleet is not None:
        ttl_days = fleet.limits.review_stack_ttl_days
    else:
        ttl_days = janitor.DEFAULT_TTL_DAYS
    now = args.now or dt.datetime.now(dt.timezone.utc)
    report = janitor.plan(stacks, open_prs, now=now, ttl_days=ttl_days, fleet=fleet)
    if args.format == "json":
        print(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        for line in report.text_lines():
            print(line)
    return EXIT_OK


def run_review_comment(args: argparse.Namespace) -> int:
    try:
        outputs = janitor.read_json_file(args.outputs)
        text = render_review_comment(outputs, args.stack, ttl_days=args.ttl_days)
    except janitor.JanitorInputError as error:
        raise CommandError(EXIT_USAGE, [f"error: {error}"]) from None
    except ValueError as error:
        raise CommandError(EXIT_USAGE, [f"error: {args.outputs}: {error}"]) from None
    sys.stdout.write(text)
    return EXIT_OK


def stack_file(args: argparse.Namespace) -> Path:
    # A fully qualified stack (org/project/staging) keeps its settings in Pulumi.staging.yaml.
    return args.file or Path.cwd() / f"Pulumi.{args.stack.rsplit('/', 1)[-1]}.yaml"


def load_spec(args: argparse.Namespace) -> FleetSpec:
    """The parsed stack config, or a CommandError that explains why there is none."""
    path = stack_file(args)
    return parse_spec(args, path, read_stack_config(args, path))


def read_stack_config(args: argparse.Namespace, path: Path) -> dict[str, Any]:
    try:
        return load_stack_config(path)
    except StackFileNotFoundError as error:
        advice = "" if args.file else " (run from the Pulumi project directory, or pass --file)"
        raise CommandError(EXIT_USAGE, [f"error: {error}{advice}"]) from None
    except StackFileError as error:
        raise CommandError(EXIT_INVALID, [f"error: {error}"]) from None


def parse_spec(args: argparse.Namespace, path: Path, config: dict[str, Any]) -> FleetSpec:
    try:
        return FleetSpec.from_config(config)
    except FleetConfigError as error:
        raise invalid(error.problems, args.stack, path) from None


def invalid(
    problems: Sequence[ConfigProblem], stack: str, path: Path, *, read_by: str | None = None
) -> CommandError:
    """Exit 1, listing every problem with its hint."""
    lines: list[str] = []
    for problem in problems:
        lines.append(str(problem))
        if problem.hint:
            lines.append(f"  hint: {problem.hint}")
    summary = _count(len(problems), "problem")
    what = f"fleet stack {stack}, read by review stack {read_by}," if read_by else f"stack {stack}"
    lines.append(f"error: {what} is invalid: {summary} in {path.name}")
    return CommandError(EXIT_INVALID, lines)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
