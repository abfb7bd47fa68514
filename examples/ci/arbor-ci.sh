#!/usr/bin/env bash
# Arbor databases for CI: the steps the GitHub workflows in github/ run, in one place so the workflows
# and check.sh (which runs them against a live server) share them instead of copying them.
#
#   arbor-ci.sh install-provider <zip>   filesystem mirror for the arbordb/arbor provider zip
#   arbor-ci.sh preview-up <pr>          branch preview-pr-<pr> + endpoint (Terraform module preview-branch)
#   arbor-ci.sh preview-sync <pr>        reset preview-pr-<pr> to its parent's latest data (creates it if missing)
#   arbor-ci.sh preview-down <pr>        terraform destroy + delete its Terraform state
#   arbor-ci.sh ci-up <build-id>         branch ci-<build-id> + endpoint (Terraform module ci-branch)
#   arbor-ci.sh ci-down <build-id>       terraform destroy + delete its Terraform state
#
# Environment: ARBOR_API_URL (…/api/v2), ARBOR_API_KEY, ARBOR_PROJECT_ID; optional ARBOR_ROLE_NAME
# (neondb_owner), ARBOR_DATABASE_NAME (neondb), ARBOR_CI_WORK (Terraform data dirs; default
# $RUNNER_TEMP/arbor-ci). Terraform state lives on the Arbor server (http backend, one state per branch).
# Under GitHub Actions ($GITHUB_OUTPUT set) the connection string is masked (::add-mask::) and written as
# the step outputs database_url, branch_id and branch_name; elsewhere it is printed as database_url=….
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WAIT_SECONDS=${ARBOR_CI_WAIT_SECONDS:-600}

die() { echo "arbor-ci: $*" >&2; exit 1; }
need_env() { for v in "$@"; do [ -n "${!v:-}" ] || die "$v is not set"; done; }
need_env ARBOR_API_URL
ARBOR_API_URL="${ARBOR_API_URL%/}"
ROLE="${ARBOR_ROLE_NAME:-neondb_owner}"
DATABASE="${ARBOR_DATABASE_NAME:-neondb}"
WORK="${ARBOR_CI_WORK:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/arbor-ci}"

# ---------------------------------------------------------------- the API (curl + jq)

# api METHOD PATH [JSON]: prints the body; on an error status prints the API's {code, message} and fails.
api() {
  local method=$1 path=$2 body=${3:-} out status
  out=$(mktemp)
  status=$(curl -sS -o "$out" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $ARBOR_API_KEY" \
    ${body:+-H 'Content-Type: application/json' --data "$body"} "$ARBOR_API_URL$path") || { rm -f "$out"; die "$method $path: cannot reach $ARBOR_API_URL"; }
  if [ "${status:0:1}" != 2 ]; then
    echo "arbor-ci: $method $path -> HTTP $status $(jq -r '"\(.code): \(.message) (request \(.request_id))"' "$out" 2>/dev/null || cat "$out")" >&2
    rm -f "$out"
    return 1
  fi
  cat "$out"
  rm -f "$out"
}

# Waits for every operation in the JSON on stdin ({"operations": [...]}); fails on a failed one.
wait_operations() {
  local ops id status deadline=$((SECONDS + WAIT_SECONDS))
  ops=$(jq -r '.operations[]?.id')
  for id in $ops; do
    while :; do
      status=$(api GET "/projects/$ARBOR_PROJECT_ID/operations/$id" | jq -r .operation.status)
      case $status in
        finished|skipped) break ;;
        failed|error|cancelled) die "operation $id ended $status" ;;
      esac
      [ $SECONDS -lt $deadline ] || die "operation $id still $status after ${WAIT_SECONDS}s"
      sleep 1
    done
  done
}

state_url() { echo "$ARBOR_API_URL/projects/$ARBOR_PROJECT_ID/terraform/state/$1"; }

# ---------------------------------------------------------------- Terraform

# tf <config> <state> <terraform args…>: runs terraform on examples/ci/terraform/<config> with its own data dir.
tf() {
  local config=$1 state=$2
  shift 2
  TF_DATA_DIR="$WORK/$state" TF_IN_AUTOMATION=1 TF_HTTP_PASSWORD="$ARBOR_API_KEY" \
    terraform -chdir="$HERE/terraform/$config" "$@"
}

tf_init() {
  local config=$1 state=$2 url
  url=$(state_url "$state")
  mkdir -p "$WORK/$state"
  tf "$config" "$state" init -input=false -no-color -reconfigure \
    -backend-config="address=$url" -backend-config="lock_address=$url" -backend-config="unlock_address=$url" \
    -backend-config="username=arbor" >/dev/null
}

# Terraform's own output goes to stderr, so a step's stdout carries only what arbor-ci prints.
apply() {
  local config=$1 state=$2 verb=$3
  shift 3
  tf "$config" "$state" "$verb" -input=false -no-color -auto-approve \
    -var "project_id=$ARBOR_PROJECT_ID" -var "role_name=$ROLE" -var "database_name=$DATABASE" "$@" >&2
}

# publish <config> <state>: hands the connection string to the next steps.
publish() {
  local config=$1 state=$2 uri branch_id name password
  uri=$(tf "$config" "$state" output -raw database_url)
  branch_id=$(tf "$config" "$state" output -raw branch_id)
  name=$(api GET "/projects/$ARBOR_PROJECT_ID/branches/$branch_id" | jq -r .branch.name)
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    password=$(sed -nE 's|^postgres(ql)?://[^:/@]+:([^@]*)@.*|\2|p' <<<"$uri")
    echo "::add-mask::$uri"
    [ -z "$password" ] || echo "::add-mask::$password"
    { echo "database_url=$uri"; echo "branch_id=$branch_id"; echo "branch_name=$name"; } >>"$GITHUB_OUTPUT"
    if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
      printf '### Arbor branch `%s`\n\nbranch id `%s` in project `%s`; the connection string is the masked step output `database_url`.\n' \
        "$name" "$branch_id" "$ARBOR_PROJECT_ID" >>"$GITHUB_STEP_SUMMARY"
    fi
  else
    echo "database_url=$uri"
  fi
  echo "arbor-ci: branch $name ($branch_id) ready"
}

up() {
  local config=$1 state=$2
  shift 2
  tf_init "$config" "$state"
  apply "$config" "$state" apply "$@"
  publish "$config" "$state"
}

down() {
  local config=$1 state=$2
  shift 2
  tf_init "$config" "$state"
  apply "$config" "$state" destroy "$@"
  # the state is empty now; drop it so the server keeps nothing for a closed PR or finished build
  curl -sS -o /dev/null -X DELETE -H "Authorization: Bearer $ARBOR_API_KEY" "$(state_url "$state")" || true
  rm -rf "${WORK:?}/$state"
  echo "arbor-ci: $state deleted"
}

# preview-sync: a push to the PR resets its branch to the parent's latest data (same branch, endpoint and URI).
preview_sync() {
  local pr=$1 state="preview-pr-$1" branch_id parent resources
  tf_init preview "$state"
  resources=$(tf preview "$state" state list 2>/dev/null || true)   # (not piped into grep -q: SIGPIPE + pipefail)
  if ! grep -qx 'module.preview.arbor_branch.preview' <<<"$resources"; then
    echo "arbor-ci: no preview branch for PR $pr yet; creating it"
    up preview "$state" -var "pr_number=$pr"
    return
  fi
  branch_id=$(tf preview "$state" output -raw branch_id)
  parent=$(api GET "/projects/$ARBOR_PROJECT_ID/branches/$branch_id" | jq -r '.branch.parent_id // empty')
  [ -n "$parent" ] || die "branch $branch_id has no parent to reset from"
  api POST "/projects/$ARBOR_PROJECT_ID/branches/$branch_id/restore" "{\"source_branch_id\":\"$parent\"}" | wait_operations
  echo "arbor-ci: preview-pr-$pr reset to the latest data of $parent"
  # the branch may have expired and been re-created meanwhile: reconcile, then hand out the (unchanged) URI
  apply preview "$state" apply -var "pr_number=$pr"
  publish preview "$state"
}

install_provider() {
  local zip=$1 mirror cfg version
  [ -f "$zip" ] || die "provider zip $zip not found"
  # a packed mirror wants terraform-provider-arbor_<version>_linux_amd64.zip; the version is in the zip's binary name
  if [[ $(basename "$zip") =~ ^terraform-provider-arbor_([0-9][^_]*)_linux_amd64\.zip$ ]]; then
    version=${BASH_REMATCH[1]}
  else
    version=$(unzip -Z1 "$zip" | sed -n 's/^terraform-provider-arbor_v//p' | head -n 1)
  fi
  [ -n "$version" ] || die "$zip does not look like a terraform-provider-arbor zip"
  mirror="$WORK/provider-mirror"
  mkdir -p "$mirror/registry.terraform.io/arbordb/arbor"
  cp "$zip" "$mirror/registry.terraform.io/arbordb/arbor/terraform-provider-arbor_${version}_linux_amd64.zip"
  cfg="$WORK/terraform.tfrc"
  cat >"$cfg" <<TFRC
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/arbordb/arbor"]
  }
  direct {
    exclude = ["registry.terraform.io/arbordb/arbor"]
  }
}
TFRC
  [ -z "${GITHUB_ENV:-}" ] || echo "TF_CLI_CONFIG_FILE=$cfg" >>"$GITHUB_ENV"
  echo "TF_CLI_CONFIG_FILE=$cfg"
}

cmd=${1:-}
arg=${2:-}
[ -n "$cmd" ] && [ -n "$arg" ] || die "usage: arbor-ci.sh install-provider <zip> | preview-up|preview-sync|preview-down <pr> | ci-up|ci-down <build-id>"
mkdir -p "$WORK"
if [ "$cmd" = install-provider ]; then
  install_provider "$arg"
  exit 0
fi
need_env ARBOR_API_KEY ARBOR_PROJECT_ID
case $cmd in
  preview-*) [[ $arg =~ ^[1-9][0-9]*$ ]] || die "pull request number must be a positive integer, got '$arg'" ;;
  ci-*) [[ $arg =~ ^[A-Za-z0-9._-]{1,60}$ ]] || die "build id may hold letters, digits, '.', '_' and '-' (at most 60), got '$arg'" ;;
esac
case $cmd in
  preview-up) up preview "preview-pr-$arg" -var "pr_number=$arg" ;;
  preview-sync) preview_sync "$arg" ;;
  preview-down) down preview "preview-pr-$arg" -var "pr_number=$arg" ;;
  ci-up) up ci-run "ci-$arg" -var "build_id=$arg" ;;
  ci-down) down ci-run "ci-$arg" -var "build_id=$arg" ;;
  *) die "unknown command $cmd" ;;
esac
