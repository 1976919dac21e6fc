"""`python -m fleet`: the fleet's command line, for CI and for DevOps at a terminal.

Every command reads the stack file itself (no Pulumi engine, no credentials), so it runs on any
pull request. Exit codes: 0 ok, 1 the stack config is invalid or breaks the fleet's rules,
2 usage error, no stack file, or an input file (outputs, --base) that is not what it should be.

  validate --stack staging|pr|pr-<n>   check a fleet stack (shape and policy), the review template
           [--base F@REF]              or a review stack; warnings go to stderr and never fail;
                                       with --base, expiry fails only for what the change adds
  catalog --stack staging              the team wiki table: environment, kind, URL, database,
          [--base F@REF]               purpose, owner, branch, expires, monthly cost; then the
                                       feature flags: flag, enabled for, owner, expires; with
                                       --base, only the rows a change adds, changes or removes
  cost --stack staging [--base F@REF]  the monthly estimate, and what a change adds or saves
  janitor [--stacks F --open-prs F]    which review stacks to destroy, and why; with --stack, the
          [--stack staging]            expired and soon-expiring environments and feature flags
  credentials --stack S                where each API token the stack needs comes from (stack config
                                       wins over the environment variable); exit 1 if one is missing
  remove-expired --stack staging       the stack file minus its expired environments and flags (the
                                       janitor's pull request), comments and order kept
  prepare-review-stack --stack pr-<n>  Pulumi.pr-<n>.yaml: the template merged into the stack's own
                                       file, its encryptionsalt kept
  review-comment --outputs F --stack S the pull request comment of a review stack
  status --stack S [--wait]            every service's latest deployment and a probe of its URL;
                                       with --wait, until all answer (exit 1 if one does not)
  orphans --stack staging [--delete]   live objects named like stagefleet's that no stack owns
                                       (exit 1 when there are some); --delete --yes deletes them

catalog, cost, status and orphans print aligned columns to a terminal and markdown when piped;
--format json is for machines. `status` and `orphans` are the commands that talk to APIs (with
the credentials in RAILWAY_API_TOKEN, SUPABASE_ACCESS_TOKEN, STATSIG_CONSOLE_API_KEY): their
modules, and the providers' API clients they use, are imported only when they run.

Long on purpose: one argparse parser and one short run function per command, so `--help` and
the behaviour of every command are read in one place; the commands' work lives in their modules.
"""

import argparse
import datetime as dt
import difflib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar, cast, get_args

from fleet import catalog, cost, expiry, janitor, naming, policy
from fleet.config import ConfigProblem, FleetConfigError, FleetSpec
from fleet.config.credentials import credential_sources, plaintext_credentials
from fleet.dates import parse_date, parse_duration
from fleet.review import ReviewSpec, fleet_stack_of, is_review_stack, render_review_comment
from fleet.stackfile import StackFileError, StackFileNotFoundError, load_stack_config, merged_stack_file
from fleet.version import __version__

T = TypeVar("T")

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2


class CommandError(Exception):
    """Ends a command: `lines` go to stderr and the process exits with `exit_code`."""

    def __init__(self, exit_code: int, lines: Sequence[str]) -> None:
        super().__init__("\n".join(lines))
        self.exit_code = exit_code
        self.lines = list(lines)


def main(argv: Sequence[str] | None = None, prog: str = "python -m fleet") -> int:
    args = build_parser(prog).parse_args(argv)
    command: Callable[[argparse.Namespace], int] = args.command
    try:
        return command(args)
    except CommandError as error:
        for line in error.lines:
            print(line, file=sys.stderr)
        return error.exit_code


def stagefleet() -> int:
    """The `stagefleet` console script: the same commands as `python -m fleet`."""
    return main(prog="stagefleet")


def build_parser(prog: str = "python -m fleet") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Tools for the stagefleet stack config.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    # Options shared by every command that works on one stack.
    stack = argparse.ArgumentParser(add_help=False)
    stack.add_argument("--stack", required=True, help="stack name, e.g. staging (reads ./Pulumi.<stack>.yaml)")
    stack.add_argument("--file", type=Path, help="read this stack file instead")

    validate = commands.add_parser(
        "validate",
        parents=[stack],
        help="check a stack's stagefleet config and the fleet's rules, and list every problem",
    )
    validate.add_argument(
        "--today",
        type=_date,
        metavar="YYYY-MM-DD",
        help="the date the expiry rules count from (default: today)",
    )
    validate.add_argument(
        "--base",
        metavar="FILE_OR_REF",
        help="the stack file the pull request merges into: PATH or PATH@REF (e.g. Pulumi.staging.yaml@origin/main). "
        "The expiry rules then fail only for entries the pull request adds or whose expiry it changes; "
        "an entry that expired since is a warning",
    )
    validate.set_defaults(command=run_validate)

    # Options of the commands that print a table.
    formats = argparse.ArgumentParser(add_help=False)
    formats.add_argument(
        "--format",
        choices=get_args(OutputFormat),
        help="default: table on a terminal, markdown when piped",
    )

    listing = commands.add_parser(
        "catalog",
        parents=[stack, formats],
        help="the team wiki table of the fleet: environment, kind, URL, database, purpose, owner, "
        "branch, expires, estimated monthly cost; and its feature flags",
        description="Built from the stack config; URLs are `pending` unless --outputs gives the "
        "stack's outputs. The markdown is byte for byte the fleet stack's `catalog` output.",
    )
    listing.add_argument(
        "--outputs",
        type=Path,
        metavar="FILE",
        help="the fleet stack's `pulumi stack output --json`, for real URLs",
    )
    listing.add_argument(
        "--status",
        type=Path,
        metavar="FILE",
        help="`python -m fleet status --format json` of the fleet stack: each environment's "
        "readiness next to its URL (and its URLs, without --outputs)",
    )
    listing.add_argument(
        "--base",
        metavar="FILE_OR_REF",
        help="only the rows a change adds, changes or removes, compared with this stack file: PATH or PATH@REF "
        "(e.g. Pulumi.staging.yaml@origin/main), for the pull request comment",
    )
    listing.set_defaults(command=run_catalog, command_name="catalog")

    estimate = commands.add_parser(
        "cost",
        parents=[stack, formats],
        help="the estimated monthly cost per environment and in total, and what a change adds",
        description="With --base, compares against another version of the stack file: a path, or "
        "PATH@REF to read it from git (e.g. Pulumi.staging.yaml@main), and starts with a one-line "
        "summary for the pull request comment. For a review stack (pr, pr-<n>): its cost per day.",
    )
    estimate.add_argument("--base", metavar="FILE_OR_REF", help="the stack file to compare with: PATH or PATH@REF")
    estimate.set_defaults(command=run_cost, command_name="cost")

    sweep = commands.add_parser(
        "janitor",
        help="list the review stacks to destroy (pull request closed, or idle beyond the TTL) and the "
        "fleet's expired and soon-expiring environments and feature flags",
        description="With --stacks and --open-prs (recorded `pulumi stack ls --json` and `gh pr list "
        "--state open --json number,headRefName,updatedAt` output) prints `destroy <stack>: <reason>` "
        "for every pr-<number> stack to destroy, then `keep` lines. With --stack (alone or with "
        "those): `expired <environment>`, `expired-flag <feature flag>`, `expiring <environment>` "
        "and `expiring-flag <feature flag>` lines, each with its date and owner.",
    )
    sweep.add_argument("--stacks", type=Path, help="output of pulumi stack ls --json")
    sweep.add_argument(
        "--open-prs",
        type=Path,
        help="output of gh pr list --state open --json number,headRefName,updatedAt",
    )
    sweep.add_argument("--now", type=_moment, help="ISO 8601 date and time (default: now, UTC)")
    sweep.add_argument(
        "--ttl-days",
        type=_positive,
        help="days without an update before a review stack is destroyed "
        "(default: stagefleet:limits.reviewStackTtlDays of the fleet stack given with --stack, else 7)",
    )
    sweep.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="markdown: tables for the owners' issue (nothing when there is nothing to say)",
    )
    sweep.add_argument(
        "--stack",
        help="the fleet stack, e.g. staging: its TTL, its expired environments and its expired feature flags",
    )
    sweep.add_argument("--file", type=Path, help="read the fleet stack from this file instead")
    sweep.set_defaults(command=run_janitor)

    tokens = commands.add_parser(
        "credentials",
        parents=[stack],
        help="where `pulumi up` will find each API token the stack needs (stack config or environment); "
        "exit 1 when one is missing",
        description="Railway is needed by every stack with an environment; Supabase by a dedicated or branch "
        "database; Statsig by feature flags. The stack config (stagefleet:railwayToken, "
        "stagefleet:supabaseAccessToken, stagefleet:statsigConsoleKey) wins over the environment variable "
        "(RAILWAY_API_TOKEN, SUPABASE_ACCESS_TOKEN, STATSIG_CONSOLE_API_KEY); a blank config value counts as "
        "unset. Values are never shown.",
    )
    tokens.set_defaults(command=run_credentials)

    expired = commands.add_parser(
        "remove-expired",
        parents=[stack],
        help="remove every expired environment and feature flag from the stack file (what the janitor's "
        "pull request changes)",
        description="Edits the stack file in place, line by line: the result is the file minus the expired "
        "entries, every comment and blank line of the rest kept. An expired environment that a remaining "
        "one needs (its database, or its owner's feature flag) stays, and is listed. Nothing expired: the "
        "file is left as it is. Exit 1 when the file cannot be edited safely (nothing is written).",
    )
    expired.add_argument("--today", type=_date, metavar="YYYY-MM-DD", help="default: today")
    expired.add_argument("--body", type=Path, metavar="FILE", help="write the pull request's description here")
    expired.set_defaults(command=run_remove_expired)

    prepare = commands.add_parser(
        "prepare-review-stack",
        help="write Pulumi.pr-<n>.yaml from the template Pulumi.pr.yaml, merged into the stack's own file",
        description="The template's config keys win; every other key of an existing Pulumi.pr-<n>.yaml "
        "stays, the encryptionsalt (or secretsprovider and encryptedkey) Pulumi wrote above all: without "
        "it the stack's secrets no longer decrypt. A fresh checkout has no such file: --state (the "
        "stack's `pulumi stack export`) then gives the stack's secrets provider back.",
    )
    prepare.add_argument("--stack", required=True, help="the review stack, e.g. pr-12")
    prepare.add_argument("--template", type=Path, help="default: Pulumi.pr.yaml next to the stack file")
    prepare.add_argument(
        "--state", type=Path, metavar="FILE", help="`pulumi stack export` of the stack, when it exists already"
    )
    prepare.set_defaults(command=run_prepare_review_stack)

    comment = commands.add_parser("review-comment", help="the pull request comment of a review stack, from its outputs")
    comment.add_argument("--outputs", type=Path, required=True, help="output of pulumi stack output --json")
    comment.add_argument("--stack", required=True, help="the review stack, e.g. pr-12")
    comment.add_argument("--ttl-days", type=_positive, help="mention the janitor's TTL")
    comment.set_defaults(command=run_review_comment)

    status = commands.add_parser(
        "status",
        parents=[formats],
        help="each service's latest Railway deployment and an HTTP probe of its URL; with --wait, "
        "until every service is healthy or failed",
        description="A service is healthy when its latest deployment is SUCCESS or SLEEPING and its "
        "URL + healthcheck path answers 2xx; failed when the deployment is FAILED, CRASHED, REMOVED "
        "or SKIPPED. Exit 0 when every service is healthy, 1 otherwise, 2 for usage errors. Needs "
        "RAILWAY_API_TOKEN (and RAILWAY_API_URL for the sandbox).",
    )
    status.add_argument("--stack", required=True, help="the stack, e.g. staging or pr-12")
    status.add_argument(
        "--outputs",
        type=Path,
        metavar="FILE",
        help="its `pulumi stack output --json` (default: run that, when the pulumi CLI is on PATH)",
    )
    status.add_argument(
        "--wait", action="store_true", help="poll until every service is healthy or failed, or the deadline"
    )
    status.add_argument(
        "--deadline",
        type=_seconds,
        default=900.0,
        metavar="SECONDS",
        help="give up waiting after this many seconds (default 900)",
    )
    status.add_argument(
        "--connect-to",
        action="append",
        default=[],
        metavar="SUFFIX=URL",
        help="send probes of hosts ending in SUFFIX to URL, with the original Host header (e.g. "
        "up.railway.app=http://127.0.0.1:8788 for the sandbox); repeatable; also "
        "STAGEFLEET_CONNECT_TO",
    )
    status.set_defaults(command=run_status)

    orphans = commands.add_parser(
        "orphans",
        parents=[stack, formats],
        help="live objects named like stagefleet's that no stack owns: Railway environments, Supabase "
        "projects and branches, Statsig gates; with --delete, delete them",
        description="Reads what every stack owns (--state files, else `pulumi stack export` of every "
        "stack of `pulumi stack ls --json`) and lists, with why and what it costs a month, every "
        "object of the fleet's Railway project (staging-*, pr-*), Supabase organization "
        "(<prefix>-staging-*, <prefix>-pr-*; and branches of the stacks' projects) and Statsig "
        "project (gates marked [managed by stagefleet]) that no stack owns. Exit 0 when there is "
        "none, 1 when there are some, 2 for usage errors. A vendor whose credentials are not set "
        "(RAILWAY_API_TOKEN, SUPABASE_ACCESS_TOKEN, STATSIG_CONSOLE_API_KEY) is skipped with a notice.",
    )
    orphans.add_argument(
        "--state",
        type=Path,
        action="extend",
        nargs="+",
        default=[],
        metavar="FILE",
        help="a stack's `pulumi stack export` (give one for every stack of the project); default: "
        "export every stack with the pulumi CLI",
    )
    orphans.add_argument(
        "--open-prs",
        type=Path,
        metavar="FILE",
        help="`gh pr list --state open --json number`: review-stack objects of any other pull request are orphans",
    )
    orphans.add_argument(
        "--delete",
        action="store_true",
        help='delete the orphans older than --min-age, after printing them; asks for "yes" at a '
        "terminal, else needs --yes",
    )
    orphans.add_argument("--yes", action="store_true", help="with --delete: delete without asking")
    orphans.add_argument(
        "--min-age",
        type=_duration,
        default=None,
        metavar="DURATION",
        help="grace period: younger objects are listed apart and never deleted (a stack being created "
        "owns objects no export has yet); e.g. 24h (default), 7d, 90m",
    )
    orphans.add_argument("--now", type=_moment, help="ISO 8601 date and time ages count from (default: now)")
    orphans.set_defaults(command=run_orphans, command_name="orphans")
    return parser


def _moment(text: str) -> dt.datetime:
    try:
        return janitor.parse_now(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date and time: {text!r}") from None


def _duration(text: str) -> dt.timedelta:
    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _date(text: str) -> dt.date:
    try:
        return parse_date(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _seconds(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        number = 0.0
    if not number > 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text!r}")
    return number


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
        if args.base is not None:
            raise CommandError(EXIT_USAGE, ["error: --base compares fleet stacks; a review stack has no expiry dates"])
        return validate_review(args, path, config)
    # Only the file shows whether a token is encrypted: the program gets every value decrypted.
    plaintext = plaintext_credentials(config)
    try:
        spec = FleetSpec.from_config(config)
    except FleetConfigError as error:
        raise invalid([*error.problems, *plaintext], args.stack, path) from None
    baseline = validate_baseline(args, args.base) if args.base is not None else None
    problems = [*policy.check(spec, args.today or dt.date.today(), baseline), *plaintext]
    if policy.errors(problems):
        raise invalid(problems, args.stack, path)
    for problem in problems:
        for line in policy.problem_lines(problem):
            print(line, file=sys.stderr)
    names = [environment.name for environment in spec.environments]
    listing = f" ({', '.join(names)})" if names else ""
    print(f"ok: stack {args.stack} — {_count(len(names), 'environment')}{listing}")
    return EXIT_OK


def validate_review(args: argparse.Namespace, path: Path, config: dict[str, Any]) -> int:
    """A review stack: the template `pr` (no stagefleet:pullRequest yet) or a `pr-<n>`, checked
    against the fleet stack it names, read from the same directory."""
    plaintext = plaintext_credentials(config)
    if plaintext:
        raise invalid(plaintext, args.stack, path)
    review = load_review(args, path, config)
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


def load_review(args: argparse.Namespace, path: Path, config: dict[str, Any]) -> ReviewSpec:
    """A review stack's spec, resolved against the fleet stack file next to it, or a CommandError."""
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
        return ReviewSpec.from_config(config, fleet, require_pull_request=require_pull_request, stack_name=args.stack)
    except FleetConfigError as error:
        raise invalid(error.problems, args.stack, path) from None


def _describe_database(review: ReviewSpec) -> str:
    database = review.database
    described = {
        "branch": f"branch of {database.source}",
        "shared": f"shared with {database.source}",
    }.get(database.strategy, database.strategy)
    return described + (" (default)" if review.database_is_default else "")


OutputFormat = Literal["markdown", "json", "table"]


def output_format(args: argparse.Namespace) -> OutputFormat:
    """--format, else a table for a person at a terminal and markdown for a pipe or a file."""
    if args.format:
        return cast(OutputFormat, args.format)
    return "table" if _stdout_is_terminal() else "markdown"


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def print_json(document: Any) -> None:
    print(json.dumps(document, indent=2, ensure_ascii=False))


def priced_spec(args: argparse.Namespace, path: Path, config: dict[str, Any]) -> FleetSpec:
    """The fleet stack's spec, with a price for everything it uses (else exit 1)."""
    if is_review_stack(args.stack, config):
        what = f"{args.stack} is a review stack; {args.command_name} works on the fleet stack (e.g. staging)"
        raise CommandError(EXIT_USAGE, [f"error: {what}"])
    spec = parse_spec(args, path, config)
    unpriced = policy.unpriced(spec)
    if unpriced:
        raise invalid(unpriced, args.stack, path)
    return spec


def run_catalog(args: argparse.Namespace) -> int:
    path = stack_file(args)
    spec = priced_spec(args, path, read_stack_config(args, path))
    if args.base is not None:
        diff = catalog.compare(read_base(args, args.base), spec)
        fmt = output_format(args)
        if fmt == "json":
            print_json({"stack": args.stack, "base": args.base, **diff.as_json()})
        else:
            sys.stdout.write(diff.render(fmt))
        return EXIT_OK
    urls = readiness = None
    if args.status is not None:
        urls, readiness = read_input(args.status, catalog.from_status)
    if args.outputs is not None:
        urls = read_input(args.outputs, catalog.urls_from_outputs)
    rows = catalog.catalog_rows(spec, urls, readiness)
    flags = catalog.flag_rows(spec)
    fmt = output_format(args)
    if fmt == "json":
        print_json({"stack": args.stack, **catalog.render_json(rows, flags)})
    elif fmt == "table":
        sys.stdout.write(catalog.render_table(rows, flags))
    else:
        sys.stdout.write(catalog.render_markdown(rows, flags))
    return EXIT_OK


def read_input(path: Path, parse: Callable[[Any], T]) -> T:
    """A JSON input file, parsed; exit 2 when it is missing or not what it should be."""
    try:
        return parse(janitor.read_json_file(path))
    except janitor.JanitorInputError as error:
        raise CommandError(EXIT_USAGE, [f"error: {error}"]) from None
    except ValueError as error:
        raise CommandError(EXIT_USAGE, [f"error: {path}: {error}"]) from None


def run_cost(args: argparse.Namespace) -> int:
    path = stack_file(args)
    config = read_stack_config(args, path)
    if is_review_stack(args.stack, config):
        return review_cost(args, path, config)
    estimate = cost.estimate(priced_spec(args, path, config))
    fmt = output_format(args)
    if args.base is None:
        if fmt == "json":
            print_json({"stack": args.stack, **estimate.as_json()})
        else:
            sys.stdout.write(cost.render_estimate(estimate, fmt))
        return EXIT_OK
    base_spec = read_base(args, args.base)
    diff = cost.compare(cost.estimate(base_spec), estimate)
    if fmt == "json":
        document = {"stack": args.stack, **estimate.as_json(), "diff": {"base": args.base, **diff.as_json()}}
        print_json(document)
    else:
        sys.stdout.write(cost.render_diff(diff, args.base, fmt))
    return EXIT_OK


def review_cost(args: argparse.Namespace, path: Path, config: dict[str, Any]) -> int:
    """A review stack (pr, pr-<n>): what it costs a day."""
    if args.base is not None:
        raise CommandError(EXIT_USAGE, ["error: --base compares fleet stacks; review stacks are estimated per day"])
    review = load_review(args, path, config)
    fleet = review.fleet
    source = review.database_source()
    size = fleet.instance_size_for(source) if source is not None else None
    try:
        estimate = cost.review_stack_cost(fleet, review.database, size)
    except cost.UnknownPriceError as error:
        problem = ConfigProblem(
            "stagefleet:prices.supabaseComputeUsd",
            f"no price for Supabase instance size {json.dumps(error.instance_size)}",
            hint="set it in the fleet stack's stagefleet:prices",
        )
        raise invalid([problem], args.stack, path) from None
    ttl = fleet.limits.review_stack_ttl_days
    if output_format(args) == "json":
        print_json({"stack": args.stack, "currency": "USD", "reviewStack": estimate.as_json(), "ttlDays": ttl})
    else:
        sys.stdout.write(cost.render_review_stack(args.stack, estimate, ttl))
    return EXIT_OK


def validate_baseline(args: argparse.Namespace, base: str) -> policy.Baseline:
    """What the pull request merges into, for the expiry rules: a base without the stack file is
    a new stack (every entry added); a base that does not parse holds nothing back either."""
    if "@" in base and not Path(base).is_file():
        file, _, ref = base.rpartition("@")
        if file and ref and not ref.startswith("-") and not git_has_file(file, ref):
            print(f"note: --base {base}: no such file at {ref}; every entry counts as added", file=sys.stderr)
            return policy.Baseline.empty()
    config = read_base_config(base)
    try:
        return policy.Baseline.of(FleetSpec.from_config(config))
    except FleetConfigError:
        print(f"warning: --base {base} is not a valid fleet stack; every entry counts as added", file=sys.stderr)
        return policy.Baseline.empty()


def git_has_file(file: str, ref: str) -> bool:
    """Whether git revision `ref` exists and has `file`; a ref git does not know is reported by
    git_show, with git's reason."""
    path = Path(file)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        return True
    try:
        resolved = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
            cwd=directory,
            capture_output=True,
            timeout=60,
        )
        if resolved.returncode != 0:
            return True
        listed = subprocess.run(
            ["git", "cat-file", "-e", f"{ref}:./{path.name}"], cwd=directory, capture_output=True, timeout=60
        )
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return True  # git_show says why
    return listed.returncode == 0


def read_base_config(base: str) -> dict[str, Any]:
    """The config of --base: a stack file, or PATH@REF read with `git show REF:PATH`."""
    given = Path(base)
    if "@" not in base or given.is_file():
        try:
            config = load_stack_config(given)
        except StackFileNotFoundError as error:
            raise CommandError(EXIT_USAGE, [f"error: --base {error}"]) from None
        except StackFileError as error:
            raise CommandError(EXIT_USAGE, [f"error: --base {error}"]) from None
    else:
        file, _, ref = base.rpartition("@")
        if not file or not ref or ref.startswith("-"):
            expected = "expected PATH or PATH@REF, e.g. Pulumi.staging.yaml@main"
            raise CommandError(EXIT_USAGE, [f"error: --base {base}: {expected}"])
        config = _stack_config_from_text(git_show(file, ref, base), Path(file).name, base)
    return config


def read_base(args: argparse.Namespace, base: str) -> FleetSpec:
    """The fleet spec of --base, with a price for everything it uses."""
    config = read_base_config(base)
    try:
        spec = FleetSpec.from_config(config)
    except FleetConfigError as error:
        raise invalid(error.problems, f"{args.stack} at --base {base}", Path(base)) from None
    unpriced = policy.unpriced(spec)
    if unpriced:
        raise invalid(unpriced, f"{args.stack} at --base {base}", Path(base))
    return spec


def git_show(file: str, ref: str, label: str) -> str:
    """The content of `file` (relative to the working directory) at git revision `ref`."""
    path = Path(file)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise CommandError(EXIT_USAGE, [f"error: --base {label}: no directory {directory}"])
    environment = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        result = subprocess.run(
            ["git", "show", f"{ref}:./{path.name}"],
            cwd=directory,
            capture_output=True,
            env=environment,
            timeout=60,
        )
    except FileNotFoundError:
        raise CommandError(EXIT_USAGE, [f"error: --base {label}: git is not installed"]) from None
    except subprocess.TimeoutExpired:
        raise CommandError(EXIT_USAGE, [f"error: --base {label}: git show did not answer in 60 seconds"]) from None
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = detail[0] if detail else f"git show exited with {result.returncode}"
        if "not a git repository" in reason:
            why = f"{directory.resolve()} is not in a git repository: give a plain path instead"
        else:
            why = f"git cannot read {ref}:{path.name} ({reason.removeprefix('fatal: ')})"
        raise CommandError(EXIT_USAGE, [f"error: --base {label}: {why}"])
    try:
        return result.stdout.decode("utf-8")
    except UnicodeDecodeError:
        raise CommandError(EXIT_USAGE, [f"error: --base {label}: the file is not UTF-8 text"]) from None


def _stack_config_from_text(text: str, name: str, label: str) -> dict[str, Any]:
    """A stack file's config from its text, read exactly as load_stack_config reads a file."""
    with tempfile.TemporaryDirectory(prefix="stagefleet-base-") as directory:
        path = Path(directory) / name
        path.write_text(text, encoding="utf-8")
        try:
            return load_stack_config(path)
        except StackFileError as error:
            message = str(error).replace(str(path), label)
            raise CommandError(EXIT_USAGE, [f"error: --base {message}"]) from None


def run_janitor(args: argparse.Namespace) -> int:
    if (args.stacks is None) != (args.open_prs is None):
        given, missing = ("--stacks", "--open-prs") if args.open_prs is None else ("--open-prs", "--stacks")
        what = "a stack missing from the open pull requests would be destroyed"
        raise CommandError(EXIT_USAGE, [f"error: {given} needs {missing} too: {what}"])
    if args.stacks is None and not args.stack:
        expected = "--stack staging (expired environments), --stacks F --open-prs F (review stacks), or both"
        raise CommandError(EXIT_USAGE, [f"error: nothing to look at: give {expected}"])
    # Every input is read and checked before anything is printed: on error, nothing is listed.
    try:
        if args.stacks is None:
            stacks: list[janitor.StackSummary] = []
            open_prs: list[janitor.OpenPullRequest] = []
        else:
            stacks = janitor.parse_stacks(janitor.read_json_file(args.stacks), str(args.stacks))
            open_prs = janitor.parse_open_pull_requests(janitor.read_json_file(args.open_prs), str(args.open_prs))
    except janitor.JanitorInputError as error:
        raise CommandError(EXIT_USAGE, [f"error: {error}", "error: nothing listed for destruction"]) from None
    fleet = load_spec(args) if args.stack else None
    if args.ttl_days is not None:
        ttl_days = args.ttl_days
    elif fleet is not None:
        ttl_days = fleet.limits.review_stack_ttl_days
    else:
        ttl_days = janitor.DEFAULT_TTL_DAYS
    now = args.now or dt.datetime.now(dt.UTC)
    report = janitor.plan(stacks, open_prs, now=now, ttl_days=ttl_days, fleet=fleet)
    if args.format == "json":
        print(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    elif args.format == "markdown":
        sys.stdout.write(report.markdown(args.stack, now.date()))
    else:
        for line in report.text_lines():
            print(line)
    return EXIT_OK


def run_credentials(args: argparse.Namespace) -> int:
    path = stack_file(args)
    config = read_stack_config(args, path)
    owning = {"dedicated", "branch"}
    if is_review_stack(args.stack, config):
        review = load_review(args, path, config)
        needed = {
            "railwayToken": "the review environment",
            "supabaseAccessToken": f"its {review.database.strategy} database"
            if review.database.strategy in owning
            else None,
            "statsigConsoleKey": None,
        }
    else:
        spec = parse_spec(args, path, config)
        databases = [env.name for env in spec.environments if spec.database_for(env).strategy in owning]
        flags = [flag.name for flag in spec.feature_flags]
        needed = {
            "railwayToken": f"{_count(len(spec.environments), 'environment')}" if spec.environments else None,
            "supabaseAccessToken": f"the databases of {', '.join(databases)}" if databases else None,
            "statsigConsoleKey": f"the feature flags {', '.join(flags)}" if flags else None,
        }
    sources = credential_sources(config, needed)
    for source in sources:
        print(source.line())
    missing = [source for source in sources if source.needed_for is not None and source.source is None]
    if missing:
        names = ", ".join(source.variable for source in missing)
        raise CommandError(EXIT_INVALID, [f"error: stack {args.stack} needs {names} (or the stack config keys above)"])
    return EXIT_OK


def run_remove_expired(args: argparse.Namespace) -> int:
    path = stack_file(args)
    config = read_stack_config(args, path)
    if is_review_stack(args.stack, config):
        raise CommandError(EXIT_USAGE, [f"error: {args.stack} is a review stack; only fleet stacks expire"])
    spec = parse_spec(args, path, config)
    today = args.today or dt.date.today()
    try:
        removal = expiry.remove_expired(path.read_text(encoding="utf-8"), spec, today, path)
    except expiry.ExpiryEditError as error:
        raise CommandError(EXIT_INVALID, [f"error: {path.name}: {error}"]) from None
    for entry in removal.removed:
        owner = f", owner {entry.owner}" if entry.owner else ""
        print(
            f"removed {entry.kind} {entry.name} (expired on {entry.expires.isoformat()}, "
            f"{_count(entry.days_ago, 'day')} ago{owner})"
        )
    for kept in removal.kept:
        print(f"kept {kept.kind} {kept.name} (expired on {kept.expires.isoformat()}): {kept.reason}")
    if not removal.removed:
        print(f"nothing to remove: no entry of {path.name} has expired")
        return EXIT_OK
    path.write_text(removal.text, encoding="utf-8")
    if args.body is not None:
        args.body.write_text(expiry.pull_request_body(removal, args.stack, today), encoding="utf-8")
    return EXIT_OK


def run_prepare_review_stack(args: argparse.Namespace) -> int:
    if naming.review_stack_number(args.stack) is None:
        raise CommandError(EXIT_USAGE, [f"error: {args.stack} is not a review stack: expected pr-<number>"])
    target = Path.cwd() / f"Pulumi.{naming.stack_short_name(args.stack)}.yaml"
    template = args.template or target.parent / "Pulumi.pr.yaml"
    state = read_input(args.state, _state_document) if args.state is not None else None
    try:
        text, kept = merged_stack_file(template, target, state)
    except StackFileNotFoundError as error:
        raise CommandError(EXIT_USAGE, [f"error: {error}"]) from None
    except StackFileError as error:
        raise CommandError(EXIT_INVALID, [f"error: {error}"]) from None
    target.write_text(text, encoding="utf-8")
    what = f"kept {', '.join(kept)}" if kept else "a copy of the template"
    print(f"wrote {target.name} from {template.name}: {what}")
    return EXIT_OK


def _state_document(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise ValueError("expected the JSON object `pulumi stack export` prints")
    return document


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


def run_status(args: argparse.Namespace) -> int:
    # Imported here: the other commands need no credentials and must not load the providers.
    from fleet import status

    options = status.Options(
        stack=args.stack,
        outputs=args.outputs,
        wait=args.wait,
        deadline=args.deadline,
        format=output_format(args),
        connect_to=tuple(args.connect_to),
    )
    try:
        return status.run(options)
    except status.StatusInputError as error:
        raise CommandError(EXIT_USAGE, [f"error: {error}"]) from None


def run_orphans(args: argparse.Namespace) -> int:
    if args.yes and not args.delete:
        raise CommandError(EXIT_USAGE, ["error: --yes confirms --delete: without --delete nothing is deleted"])
    path = stack_file(args)
    try:
        spec = priced_spec(args, path, read_stack_config(args, path))
    except CommandError as error:
        # Exit 1 means "orphans found" here: a stack file that cannot be read is a usage error.
        raise CommandError(EXIT_USAGE, error.lines) from None
    # Imported here: the other commands need no credentials and must not load the providers.
    from fleet import orphan_sweep, orphans

    options = orphan_sweep.Options(
        stack=args.stack,
        spec=spec,
        states=tuple(args.state),
        open_prs=args.open_prs,
        delete=args.delete,
        yes=args.yes,
        min_age=args.min_age if args.min_age is not None else orphans.DEFAULT_MIN_AGE,
        format=output_format(args),
        now=args.now,
    )
    try:
        return orphan_sweep.run(options)
    except orphan_sweep.OrphansInputError as error:
        raise CommandError(EXIT_USAGE, [f"error: {error}"]) from None


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
        if args.file:
            raise CommandError(EXIT_USAGE, [f"error: {error}"]) from None
        raise CommandError(EXIT_USAGE, [f"error: {error}", *_stacks_here(path.parent, args.stack)]) from None
    except StackFileError as error:
        raise CommandError(EXIT_INVALID, [f"error: {error}"]) from None


def _stacks_here(directory: Path, wanted: str) -> list[str]:
    """What to say when Pulumi.<wanted>.yaml is missing: the stacks whose files are there."""
    names = sorted(
        path.name[len("Pulumi.") : -len(".yaml")]
        for path in directory.glob("Pulumi.*.yaml")
        if path.is_file() and len(path.name) > len("Pulumi..yaml")
    )
    if not names:
        return [f"  hint: no Pulumi.<stack>.yaml in {directory}: run from the Pulumi project directory, or pass --file"]
    close = difflib.get_close_matches(wanted.rsplit("/", 1)[-1], names, n=1)
    guess = f"; did you mean --stack {close[0]}?" if close else ""
    return [f"  hint: the stacks here are {', '.join(names)}{guess}"]


def parse_spec(args: argparse.Namespace, path: Path, config: dict[str, Any]) -> FleetSpec:
    try:
        return FleetSpec.from_config(config)
    except FleetConfigError as error:
        raise invalid(error.problems, args.stack, path) from None


def invalid(problems: Sequence[ConfigProblem], stack: str, path: Path, *, read_by: str | None = None) -> CommandError:
    """Exit 1, listing every problem with its hint (warnings among them marked as such)."""
    lines: list[str] = []
    for problem in problems:
        lines += policy.problem_lines(problem)
    errors = policy.errors(problems)
    summary = _count(len(errors), "problem")
    if len(errors) < len(problems):
        summary += f" (and {_count(len(problems) - len(errors), 'warning')})"
    what = f"fleet stack {stack}, read by review stack {read_by}," if read_by else f"stack {stack}"
    lines.append(f"error: {what} is invalid: {summary} in {path.name}")
    return CommandError(EXIT_INVALID, lines)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
