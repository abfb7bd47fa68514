#!/usr/bin/env bash
# Packs the Pulumi resource plugin in Pulumi's plugin layout: a tarball whose root holds the executable
# pulumi-resource-arbor (here a launcher) and what it needs, the same jar and AOT cache as the Terraform package.
# Usage: build-pulumi-plugin.sh TF_PKG_DIR PLUGIN_DIR TARBALL
set -euo pipefail
PKG=$1 OUT=$2 TGZ=$3
HERE=$(cd "$(dirname "$0")" && pwd)
for f in arbor-provider.jar arbor-provider.aot; do
  [ -f "$PKG/$f" ] || { echo "build-pulumi-plugin: $PKG/$f missing (the Terraform package step runs first)" >&2; exit 1; }
done
rm -rf "$OUT"
mkdir -p "$OUT"
cp -p "$PKG/arbor-provider.jar" "$PKG/arbor-provider.aot" "$OUT/"
cp "$HERE/arbor-launcher" "$OUT/pulumi-resource-arbor"
chmod 755 "$OUT/pulumi-resource-arbor"
touch -d '2026-01-01T00:00:00Z' "$OUT"/*
# Reproducible: fixed order, owner and mtime.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='2026-01-01 00:00:00Z' \
    -C "$OUT" -cf - pulumi-resource-arbor arbor-provider.jar arbor-provider.aot | gzip -n -9 > "$TGZ"
echo "build-pulumi-plugin: $(stat -c %s "$TGZ") bytes -> $TGZ"
