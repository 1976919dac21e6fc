#!/usr/bin/env bash
# Try stagefleet with no accounts: start the local Railway emulator, then run the sandbox stack
# through a whole lifecycle (up, preview with no changes expected, refresh, destroy) against it,
# with a local state backend. Needs the pulumi CLI; everything else comes from the venv.
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
venv/bin/python -m sandbox serve --stack-file Pulumi.sandbox.yaml --port 0 --token "$RAILWAY_API_TOKEN" \
  --supabase-token "$SUPABASE_ACCESS_TOKEN" --lifetime 1800 >"$url_file" &
sandbox_pid=$!
trap 'kill "$sandbox_pid" 2>/dev/null || true; rm -f "$url_file" Pulumi.pr-1.yaml' EXIT
for _ in $(seq 1 100); do
  RAILWAY_API_URL="$(sed -n 1p "$url_file" 2>/dev/null || true)"
  SUPABASE_API_URL="$(sed -n 2p "$url_file" 2>/dev/null || true)"
  [ -n "$SUPABASE_API_URL" ] && break
  sleep 0.1
done
[ -n "$SUPABASE_API_URL" ] || { echo "the sandbox did not start" >&2; exit 1; }
export RAILWAY_API_URL SUPABASE_API_URL
echo "Railway sandbox at $RAILWAY_API_URL, Supabase sandbox at $SUPABASE_API_URL"

pulumi stack select sandbox --create --non-interactive
pulumi up --yes --non-interactive --skip-preview
pulumi preview --expect-no-changes --non-interactive --diff
pulumi refresh --yes --non-interactive --expect-no-changes
pulumi stack output --json

# A review stack, the way .github/workflows/review-stack.yml makes one for pull request 1.
cp Pulumi.pr.yaml Pulumi.pr-1.yaml
pulumi stack select pr-1 --create --non-interactive
pulumi config set stagefleet:fleetStack organization/stagefleet/sandbox
pulumi config set --path --type int stagefleet:pullRequest.number 1
pulumi config set --path stagefleet:pullRequest.branch feature/sandbox-review
pulumi config set --path stagefleet:pullRequest.title "Sandbox review"
pulumi config set --path stagefleet:pullRequest.author sandbox
venv/bin/python -m fleet validate --stack pr-1
pulumi up --yes --non-interactive --skip-preview
pulumi stack output --json
pulumi destroy --yes --non-interactive
pulumi stack rm --yes --non-interactive pr-1

pulumi stack select sandbox --non-interactive
pulumi destroy --yes --non-interactive
