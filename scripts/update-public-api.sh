#!/usr/bin/env bash
# Brings each project's PublicAPI.Unshipped.txt in line with its public surface: adds every public symbol the build
# reports as undeclared (RS0016) and removes every declared one that no longer exists (RS0017). Run it after a
# deliberate change of the public surface, then review the diff of the PublicAPI files: that diff is the change a
# user of the packages sees.
set -euo pipefail
cd "$(dirname "$0")/.."
for project in GrainInterfaces/Resync.GrainInterfaces.csproj Grains/Resync.Grains.csproj Testing/Resync.Testing.csproj Operations/Resync.Operations.csproj; do
  dir=$(dirname "$project")
  file="$dir/PublicAPI.Unshipped.txt"
  log=$(dotnet build "$project" -p:TreatWarningsAsErrors=false 2>&1 || true)
  added=$(grep -o "$PWD/$dir/[^(]*([0-9,]*): warning RS0016: Symbol '.*' is not part of the declared public API" <<<"$log" \
    | sed -E "s/.*Symbol '(.*)' is not part of the declared public API/\1/" | sort -u || true)
  removed=$(grep -o "warning RS0017: Symbol '.*' is part of the declared API" <<<"$log" \
    | sed -E "s/.*Symbol '(.*)' is part of the declared API/\1/" | sort -u || true)
  { echo "#nullable enable"
    { grep -v '^#nullable enable$' "$file" | grep -vxF -f <(printf '%s\n' "$removed") || true; printf '%s\n' "$added"; } | grep -v '^$' | sort -u
  } > "$file.tmp"
  mv "$file.tmp" "$file"
done
