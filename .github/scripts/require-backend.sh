#!/usr/bin/env bash
# Whether this run can reach the Pulumi state backend; if not, why, as a visible notice, and
# ready=false for the jobs (or steps) that need it, which are then skipped instead of failing.
#
# A run gets no repository secrets when it comes from a fork or from Dependabot (Dependabot's runs
# get only Dependabot secrets), and a repository that has just copied stagefleet has set none:
# none of these is an error. The values of the secrets never reach this script, only whether
# each is set (HAS_<NAME>=true|false, from `secrets.<NAME> != ''`).
#
# Inputs (environment): HAS_PULUMI_ACCESS_TOKEN, HAS_PULUMI_BACKEND_URL,
# HAS_PULUMI_CONFIG_PASSPHRASE, IS_FORK (true|false), WHAT (what is skipped), and GitHub's
# GITHUB_ACTOR, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY.
set -euo pipefail

ready=false
if [ "${HAS_PULUMI_ACCESS_TOKEN:-false}" = true ] || [ "${HAS_PULUMI_BACKEND_URL:-false}" = true ]; then
  ready=true
fi
if [ "$ready" = true ] && [ "${HAS_PULUMI_BACKEND_URL:-false}" = true ] \
  && [ "${HAS_PULUMI_ACCESS_TOKEN:-false}" != true ] && [ "${HAS_PULUMI_CONFIG_PASSPHRASE:-false}" != true ]; then
  echo "::warning title=PULUMI_CONFIG_PASSPHRASE is not set::fine with a cloud secrets provider (awskms://, gcpkms://, azurekeyvault://); with the default passphrase provider pulumi fails to read the stack's secrets"
fi
echo "ready=${ready}" >> "$GITHUB_OUTPUT"
[ "$ready" = true ] && exit 0

if [ "${IS_FORK:-false}" = true ]; then
  why="pull requests from forks get no repository secrets"
elif [ "${GITHUB_ACTOR:-}" = "dependabot[bot]" ]; then
  why="runs started by Dependabot get only Dependabot secrets (Settings > Secrets and variables > Dependabot)"
else
  why="this repository has not set PULUMI_ACCESS_TOKEN, or PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE (README: Run it on your own accounts)"
fi
echo "::notice title=${WHAT} skipped::no Pulumi state backend: ${why}"
echo "${WHAT} skipped: no Pulumi state backend: ${why}." >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
