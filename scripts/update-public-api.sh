#!/usr/bin/env bash
# Adds every public symbol that the build reports as undeclared (RS0016) to its project's PublicAPI.Unshipped.txt.
# Run it after a deliberate change of the public surface, then review the diff of the PublicAPI files: that diff
# is the change a user of the packages sees.
set -euo pipefail
cd "$(dirname "$0")/.."
for project in GrainInterfaces/Resync.GrainInterfaces.csproj Grains/Resync.Grains.csproj Testing/Resync.Testing.csproj; do
  dir=$(dirname "$project")
  dotnet build "$project" -p:TreatWarningsAsErrors=false 2>&1 \
    | grep -o "$PWD/$dir/[^(]*([0-9,]*): warning RS0016: Symbol '.*' is not part of the declared public API" \
    | sed -E "s/.*Symbol '(.*)' is not part of the declared public API/\1/" \
    | sort -u >> "$dir/PublicAPI.Unshipped.txt" || true
  { echo "#nullable enable"; grep -v '^#nullable enable$' "$dir/PublicAPI.Unshipped.txt" | sort -u; } > "$dir/PublicAPI.tmp"
  mv "$dir/PublicAPI.tmp" "$dir/PublicAPI.Unshipped.txt"
done
