#!/usr/bin/env bash
# Builds the Terraform registry package: launcher + jar + AOT cache, zipped deterministically.
# Usage: build-package.sh JAVA_HOME SHADED_JAR PKG_DIR BINARY_NAME ZIP
set -euo pipefail
JAVA_HOME=$1 JAR=$2 PKG=$3 BIN=$4 ZIP=$5
HERE=$(cd "$(dirname "$0")" && pwd)
JAVA=$JAVA_HOME/bin/java
[ -x "$JAVA" ] || { echo "build-package: Java 25 missing at $JAVA_HOME" >&2; exit 1; }
rm -rf "$PKG"
mkdir -p "$PKG"
cp "$JAR" "$PKG/arbor-provider.jar"
cp "$HERE/arbor-launcher" "$PKG/$BIN"
chmod 755 "$PKG/$BIN"
# A fixed mtime: the AOT cache validates the jar's mtime, and the zip entries stay reproducible.
touch -d '2026-01-01T00:00:00Z' "$PKG/arbor-provider.jar" "$PKG/$BIN"
FLAGS=(--sun-misc-unsafe-memory-access=allow -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -Xss512k -Xmx512m -Xlog:disable -Xlog:all=warning:stderr -Xlog:aot=error:stderr)
( cd "$PKG"
  # The driver plays Terraform against the provider launched in AOTMode=record (only that JVM is recorded).
  "$JAVA" -cp "$PKG/arbor-provider.jar" dev.arbor.provider.tools.AotTraining "$JAVA" "$PKG/arbor-provider.jar" \
      arbor-provider.aotconf "${FLAGS[@]}"
  "$JAVA" "${FLAGS[@]}" -XX:AOTMode=create -XX:AOTConfiguration=arbor-provider.aotconf \
      -XX:AOTCache=arbor-provider.aot -cp "$PKG/arbor-provider.jar" >/dev/null
  rm -f arbor-provider.aotconf )
touch -d '2026-01-01T00:00:00Z' "$PKG/arbor-provider.aot"
"$JAVA" -cp "$PKG/arbor-provider.jar" dev.arbor.provider.tools.PackageZip "$PKG" "$ZIP" "$BIN"
echo "build-package: $(ls -l "$ZIP" | awk '{print $5}') bytes -> $ZIP"
