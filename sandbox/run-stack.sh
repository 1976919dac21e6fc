#!/usr/bin/env bash
# Try stagefleet with no accounts: start the local Railway emulator, then run the sandbox stack
# through a whole lifecycle (up and wait until every service answers, preview with no changes
# expected, refresh, destroy) against it, with a local state backend; then a review stack the same
# way, prepared and brought up twice (its salt kept). Needs the pulumi CLI; everything else comes
# from the venv.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v pulumi >/dev/null || { echo "the pulumi CLI is not on PATH: https://www.pulumi.com/docs/install/" >&2; exit 3; }

state_dir="${STAGEFLEET_SANDBOX_STATE:-$PWD/.sandbox-state}"
mkdir -p "$state_dir"
export PULUMI_BACKEND_URL="file://$state_dir"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-stagefleet-sandbox}"
export PULUMI_SKIP_UPDATE_CHECK=true
export RAILWAY_API_TOKEN=sandbox-token
export SUPABASE_ACCESS_TOKEN=sbp_sandbox

url_file="$(mktemp)"
outputs_file="$(mktemp)"
review_outputs_file="$(mktemp)"
venv/bin/python -m sandbox serve --stack-file Pulumi.sandbox.yaml --port 0 --token "$RAILWAY_API_TOKEN" \
  --supabase-token "$SUPABASE_ACCESS_TOKEN" --lifetime 1800 >"$url_file" &
sandbox_pid=$!
trap 'kill "$sandbox_pid" 2>/dev/null || true; rm -f "$url_file" "$outputs_file" "$review_outputs_file" Pulumi.pr-1.yaml' EXIT
# The sandbox prints its URLs one per line: Railway, Supabase, Statsig (empty when not served),
# then the Railway edge, where the services' *.up.railway.app domains answer.
for _ in $(seq 1 100); do
  RAILWAY_API_URL="$(sed -n 1p "$url_file" 2>/dev/null || true)"
  SUPABASE_API_URL="$(sed -n 2p "$url_file" 2>/dev/null || true)"
  edge_url="$(sed -n 4p "$url_file" 2>/dev/null || true)"
  [ -n "$edge_url" ] && break
  sleep 0.1
done
[ -n "$edge_url" ] || { echo "the sandbox did not start" >&2; exit 1; }
export RAILWAY_API_URL SUPABASE_API_URL
echo "Railway sandbox at $RAILWAY_API_URL (edge $edge_url), Supabase sandbox at $SUPABASE_API_URL"

# `pulumi up` only starts the deployments: wait until every service of the stack answers, its
# probes sent to the sandbox's edge (RAILWAY_API_TOKEN and RAILWAY_API_URL are exported above).
wait_until_it_answers() {
  local stack="$1" outputs="$2"
  pulumi stack output --stack "$stack" --json >"$outputs"
  cat "$outputs"
  venv/bin/python -m fleet status --stack "$stack" --wait --deadline 120 --outputs "$outputs" \
    --connect-to "up.railway.app=$edge_url"
}

pulumi stack select sandbox --create --non-interactive
pulumi up --yes --non-interactive --skip-preview
wait_until_it_answers sandbox "$outputs_file"
pulumi preview --expect-no-changes --non-interactive --diff
pulumi refresh --yes --non-interactive --expect-no-changes

# A review stack, the way .github/workflows/review-stack.yml makes one for pull request 1, on two
# pushes: the second preparation merges the template into the stack's file, so the salt the first
# `pulumi stack select --create` wrote, and the secret set with it, still decrypt.
prepare_review_stack() {
  venv/bin/python -m fleet prepare-review-stack --stack pr-1
  pulumi stack select pr-1 --create --non-interactive
  pulumi config set stagefleet:fleetStack organization/stagefleet/sandbox
  pulumi config set --path --type int stagefleet:pullRequest.number 1
  pulumi config set --path stagefleet:pullRequest.branch feature/sandbox-review
  pulumi config set --path stagefleet:pullRequest.title "Sandbox review"
  pulumi config set --path stagefleet:pullRequest.author sandbox
  venv/bin/python -m fleet validate --stack pr-1
}
prepare_review_stack
pulumi config set --secret stagefleet:supabaseAccessToken "$SUPABASE_ACCESS_TOKEN"
salt="$(grep '^encryptionsalt:' Pulumi.pr-1.yaml || true)"
pulumi up --yes --non-interactive --skip-preview
wait_until_it_answers pr-1 "$review_outputs_file"
prepare_review_stack
[ "$(grep '^encryptionsalt:' Pulumi.pr-1.yaml || true)" = "$salt" ] || { echo "pr-1 lost its encryptionsalt" >&2; exit 1; }
[ "$(pulumi config get stagefleet:supabaseAccessToken)" = "$SUPABASE_ACCESS_TOKEN" ] \
  || { echo "pr-1's secret no longer reads back" >&2; exit 1; }
echo "pr-1 prepared twice: its encryptionsalt and its secret survived"
pulumi up --yes --non-interactive --skip-preview
pulumi destroy --yes --non-interactive
pulumi stack rm --yes --non-interactive pr-1

pulumi stack select sandbox --non-interactive
pulumi destroy --yes --non-interactive
