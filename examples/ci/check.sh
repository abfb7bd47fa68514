#!/usr/bin/env bash
# Runs the CI recipes against a live Arbor server: the very `run:` lines of github/preview-branch.yml and
# github/ci-branch.yml (read from the YAML, so nothing is copied), in the order GitHub would run them for
# a pull request's life and for one CI run, checking each effect through the API and psql.
#
#   ARBOR_API_URL=http://127.0.0.1:4242/api/v2 ARBOR_API_KEY=… examples/ci/check.sh <terraform-provider-arbor zip>
#
# Needs terraform, curl, jq and psql. Creates (and at the end deletes) its own project. CiRecipesIT in the
# provider module runs it against ./arbor server with the provider zip just built.
set -euo pipefail

fail() { echo "check: FAILED: $*" >&2; exit 1; }
for tool in terraform curl jq psql; do command -v $tool >/dev/null || fail "$tool is not on PATH"; done
[ -n "${ARBOR_API_URL:-}" ] && [ -n "${ARBOR_API_KEY:-}" ] || fail "set ARBOR_API_URL and ARBOR_API_KEY"
ZIP=$(realpath "${1:?usage: check.sh <terraform-provider-arbor zip>}")
[ -f "$ZIP" ] || fail "provider zip $ZIP not found"
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ARBOR_API_URL="${ARBOR_API_URL%/}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/arbor-ci-check.XXXXXX")
PROJECT=""
cleanup() {
  [ -z "$PROJECT" ] || curl -sS -o /dev/null -X DELETE -H "Authorization: Bearer $ARBOR_API_KEY" "$ARBOR_API_URL/projects/$PROJECT" || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# A scratch checkout of the examples (terraform writes lock files and data dirs next to its configs).
mkdir -p "$WORK/repo/examples"
cp -r "$SRC/examples/ci" "$SRC/examples/terraform" "$WORK/repo/examples/"
cd "$WORK/repo"

# What GitHub provides to a step.
export RUNNER_TEMP="$WORK/runner" GITHUB_ACTIONS=true
export GITHUB_OUTPUT="$WORK/github-output" GITHUB_ENV="$WORK/github-env" GITHUB_STEP_SUMMARY="$WORK/github-summary"
mkdir -p "$RUNNER_TEMP"
: >"$GITHUB_ENV"

api() { curl -sS -H "Authorization: Bearer $ARBOR_API_KEY" -H 'Content-Type: application/json' "$@"; }
status_of() { curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ARBOR_API_KEY" "$ARBOR_API_URL$1"; }
sql() { psql "$1" -v ON_ERROR_STOP=1 -Atc "$2"; }
expect() { [ "$2" = "$3" ] || fail "$1: expected '$3', got '$2'"; echo "check:   ok  $1"; }

# The single-line `run:` of the step called $2 in workflow $1.
step_line() {
  awk -v want="$2" '
    /^ *- name: / { sub(/^ *- name: /, ""); in_step = ($0 == want); next }
    /^ *- uses: / { in_step = 0 }
    in_step && /^ *run: / { sub(/^ *run: /, ""); print; exit }' "examples/ci/github/$1"
}

STEPS=0
run_step() {
  local wf=$1 name=$2 line
  line=$(step_line "$wf" "$name")
  [ -n "$line" ] || fail "no step '$name' with a run: line in $wf"
  [[ $line != *'${{'* ]] || fail "step '$name' uses a GitHub expression; check.sh can only run plain shell"
  echo "check: [$wf] $name: $line"
  : >"$GITHUB_OUTPUT"
  set -a
  # shellcheck disable=SC1090
  . "$GITHUB_ENV"
  set +a
  bash -euo pipefail -c "$line" >"$WORK/step.out" || fail "step '$name' failed; its output:
$(cat "$WORK/step.out")"
  grep '^arbor-ci:' "$WORK/step.out" || true   # the script's own progress lines (never the URI)
  STEPS=$((STEPS + 1))
}
output() { sed -n "s/^$1=//p" "$GITHUB_OUTPUT" | tail -n 1; }

# The connection string reaches the next steps only as a masked output: masked before it is printed,
# never printed in the clear.
check_masked() {
  local url=$1
  grep -qxF "::add-mask::$url" "$WORK/step.out" || fail "the connection string is not masked"
  if grep -v '^::add-mask::' "$WORK/step.out" | grep -qF "$url"; then fail "the connection string is printed in the clear"; fi
  echo "check:   ok  connection string masked and passed as step output"
}

wait_ops() {
  local id s
  for id in $(jq -r '.operations[]?.id'); do
    for _ in $(seq 1 600); do
      s=$(api "$ARBOR_API_URL/projects/$PROJECT/operations/$id" | jq -r .operation.status)
      [ "$s" = running ] || [ "$s" = scheduling ] || break
      sleep 0.5
    done
    [ "$s" = finished ] || fail "operation $id ended $s"
  done
}

# ------------------------------------------------------------------ a project with data on main
out=$(api -X POST "$ARBOR_API_URL/projects" -d "{\"project\":{\"name\":\"ci-recipes-check-$$\"}}")
PROJECT=$(jq -r .project.id <<<"$out")
[ -n "$PROJECT" ] && [ "$PROJECT" != null ] || fail "project create: $out"
jq '{operations}' <<<"$out" | wait_ops
MAIN_ID=$(jq -r .branch.id <<<"$out")
MAIN_URL=$(jq -r '.connection_uris[0].connection_uri' <<<"$out")
sql "$MAIN_URL" 'create table seed(x int); insert into seed values (1)' >/dev/null
export ARBOR_PROJECT_ID=$PROJECT
echo "check: project $PROJECT, main $MAIN_ID"

# ------------------------------------------------------------------ a pull request's life
# "Download the Arbor provider" fetches the zip from your release URL; here the build's zip stands in.
cp "$ZIP" "$RUNNER_TEMP/terraform-provider-arbor.zip"
run_step preview-branch.yml "Install the Arbor provider"
grep -q '^TF_CLI_CONFIG_FILE=' "$GITHUB_ENV" || fail "install-provider did not export TF_CLI_CONFIG_FILE"

export PR=$((RANDOM % 9000 + 1000))
run_step preview-branch.yml "Create the preview branch"
URL=$(output database_url)
BRANCH=$(output branch_id)
check_masked "$URL"
expect "branch name" "$(output branch_name)" "preview-pr-$PR"
b=$(api "$ARBOR_API_URL/projects/$PROJECT/branches/$BRANCH")
expect "preview branch parent" "$(jq -r .branch.parent_id <<<"$b")" "$MAIN_ID"
expect "preview branch expires" "$(jq -r '.branch.expires_at != null' <<<"$b")" true
expect "preview endpoint" "$(api "$ARBOR_API_URL/projects/$PROJECT/branches/$BRANCH/endpoints" | jq -r '[.endpoints[].type] | join(",")')" read_write
grep -q "preview-pr-$PR" "$GITHUB_STEP_SUMMARY" || fail "no job summary"
DATABASE_URL=$URL run_step preview-branch.yml "Migrate the preview database"
expect "preview sees main's data" "$(sql "$URL" 'select count(*) from seed')" 1
sql "$URL" 'create table pr_only(x int); insert into pr_only values (42)' >/dev/null

sql "$MAIN_URL" 'insert into seed values (2)' >/dev/null   # main moves on
run_step preview-branch.yml "Reset the preview branch"
check_masked "$(output database_url)"
expect "same branch after reset" "$(output branch_id)" "$BRANCH"
expect "same connection string after reset" "$(output database_url)" "$URL"
expect "reset brings main's latest rows" "$(sql "$URL" 'select count(*) from seed')" 2
expect "reset drops the PR's own table" "$(sql "$URL" "select coalesce(to_regclass('pr_only')::text, 'gone')")" gone
expect "last_reset_at set" "$(api "$ARBOR_API_URL/projects/$PROJECT/branches/$BRANCH" | jq -r '.branch.last_reset_at != null')" true

run_step preview-branch.yml "Delete the preview branch"
expect "preview branch gone" "$(status_of "/projects/$PROJECT/branches/$BRANCH")" 404
expect "preview state gone" "$(status_of "/projects/$PROJECT/terraform/state/preview-pr-$PR")" 404

# A push to a PR that was opened before the workflow existed: the sync creates the branch.
export PR=$((PR + 1))
run_step preview-branch.yml "Reset the preview branch"
expect "sync of a PR without a branch creates it" "$(output branch_name)" "preview-pr-$PR"
BRANCH=$(output branch_id)
run_step preview-branch.yml "Delete the preview branch"
expect "that branch gone too" "$(status_of "/projects/$PROJECT/branches/$BRANCH")" 404

# ------------------------------------------------------------------ one CI run
export BUILD_ID="check-$$-$RANDOM"
run_step ci-branch.yml "Create the test database"
URL=$(output database_url)
BRANCH=$(output branch_id)
check_masked "$URL"
expect "ci branch name" "$(output branch_name)" "ci-$BUILD_ID"
expect "ci branch expires" "$(api "$ARBOR_API_URL/projects/$PROJECT/branches/$BRANCH" | jq -r '.branch.expires_at != null')" true
DATABASE_URL=$URL run_step ci-branch.yml "Run the tests"
expect "ci branch has main's data" "$(sql "$URL" 'select count(*) from seed')" 2
run_step ci-branch.yml "Delete the test database"
expect "ci branch gone" "$(status_of "/projects/$PROJECT/branches/$BRANCH")" 404
expect "ci state gone" "$(status_of "/projects/$PROJECT/terraform/state/ci-$BUILD_ID")" 404

echo "check: ok, $STEPS workflow steps run against $ARBOR_API_URL"
