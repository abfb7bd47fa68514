#!/usr/bin/env bash
# Manual smoke test with the REAL Pulumi CLI, for a machine that can install it (the build machine cannot:
# the CLI only downloads from get.pulumi.com). NOT run by the test suite. Usage, with an Arbor server running:
#   ARBOR_API_URL=http://127.0.0.1:4242/api/v2 ARBOR_API_KEY=$(cat .arbor/admin-api-key) examples/pulumi/smoke.sh
set -euo pipefail
cd "$(dirname "$0")"
command -v pulumi >/dev/null || { echo "smoke: the pulumi CLI is not installed" >&2; exit 1; }
[ -x ../../provider/target/pulumi-plugin/pulumi-resource-arbor ] || {
  echo "smoke: build the plugin first: ./mvnw -B -ntp -pl provider package -DskipTests" >&2; exit 1; }
export PULUMI_HOME=${PULUMI_HOME:-$(mktemp -d)} PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE:-smoke}
export PULUMI_SKIP_UPDATE_CHECK=true
STATE=$(mktemp -d)
pulumi login "file://$STATE"
pulumi stack init smoke
pulumi config set arbor:apiUrl "$ARBOR_API_URL"
pulumi config set --secret arbor:apiKey "$ARBOR_API_KEY"
pulumi preview
pulumi up --yes
pulumi stack output branchId
pulumi refresh --yes
pulumi preview --expect-no-changes
pulumi destroy --yes
pulumi stack rm --yes smoke
echo "smoke: ok"
