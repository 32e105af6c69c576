#!/usr/bin/env bash
# Build Kappa's test assemblies with Mono's C# compiler (mcs).
#
#   bash tests/assemblies/build.sh           rebuild app/sandbox/assemblies/ from scratch
#   bash tests/assemblies/build.sh --check   rebuild into a temp dir and fail if the
#                                            committed binaries differ (CI staleness check)
#   bash tests/assemblies/build.sh --verify  load the committed binaries under Mono
#                                            (IL verifier on) and compare what they
#                                            report at run time with expected.json
#
# Requires mcs (Debian/Ubuntu: `apt-get install mono-mcs`) and a Python with
# dnfile (the project's .venv is used when present) for the csc-shape pass.
# Output is byte-for-byte reproducible with mcs 6.8: it writes a zero PE
# timestamp and derives the module MVID from the content; -deterministic is
# passed anyway. See tests/assemblies/README.md for the layout and what each
# mod exercises.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SRC="$HERE/src"
OUT="$ROOT/app/sandbox/assemblies"
MCS="${MCS:-mcs}"

mode=build
case "${1:-}" in
    "") ;;
    --check) mode=check ;;
    --verify) mode=verify ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: bash tests/assemblies/build.sh [--check|--verify]" >&2; exit 2 ;;
esac

if ! command -v "$MCS" >/dev/null 2>&1; then
    echo "error: the Mono C# compiler 'mcs' was not found on PATH." >&2
    echo "       Install it with:  sudo apt-get install mono-mcs" >&2
    exit 1
fi

STAGE="$(mktemp -d "${TMPDIR:-/tmp}/kappa-assemblies.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT

if [ "$mode" = verify ]; then
    if ! command -v mono >/dev/null 2>&1; then
        echo "error: 'mono' was not found (it comes with mono-mcs as mono-runtime)." >&2
        exit 1
    fi
    "$MCS" -noconfig -nologo -r:System.dll -r:System.Core.dll -out:"$STAGE/RuntimeDump.exe" \
        "$HERE/tools/RuntimeDump.cs"
    mapfile -t paths < <(python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))))' \
        "$HERE/expected.json")
    for rel in "${paths[@]}"; do
        # One process per file: Mono binds unsigned assemblies by simple name,
        # so the 4.0 and 4.1 SPTarkov.Server.Core builds cannot share one.
        if ! mono --verify-all "$STAGE/RuntimeDump.exe" "$OUT" "$rel" >>"$STAGE/dump.jsonl" 2>"$STAGE/err"; then
            echo "error: runtime dump failed for $rel:" >&2
            cat "$STAGE/err" >&2
            exit 1
        fi
    done
    python3 "$HERE/tools/compare_expected.py" "$HERE/expected.json" <"$STAGE/dump.jsonl"
    exit $?
fi

PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
    if [ -x "$ROOT/.venv/bin/python" ]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python3; fi
fi
if ! "$PYTHON" -c 'import dnfile' >/dev/null 2>&1; then
    echo "error: $PYTHON cannot import dnfile (needed by tests/assemblies/csc_shape.py)." >&2
    echo "       Create the project venv (python3 -m venv .venv && .venv/bin/pip install -e .)" >&2
    echo "       or point PYTHON= at an interpreter that has dnfile." >&2
    exit 1
fi

echo "using $("$MCS" --version)"

# compile <output path relative to the output root> <library|exe> <source dir under src/> [reference ...]
# References are output paths (relative to the output root) of assemblies built
# earlier, so every mod is compiled against SEPARATE stand-in DLLs, never
# against their sources. Sources are passed sorted and relative, so nothing
# about the build machine leaks into the binaries.
compile() {
    local out="$1" target="$2" src="$3"
    shift 3
    local args=(-noconfig -nologo -deterministic -optimize+ -warn:4
                -target:"$target" -out:"$STAGE/$out")
    local ref
    for ref in "$@"; do
        args+=(-r:"$STAGE/$ref")
    done
    local files=()
    mapfile -t files < <(cd "$SRC/$src" && find . -name '*.cs' -printf '%P\n' | LC_ALL=C sort)
    if [ "${#files[@]}" -eq 0 ]; then
        echo "error: no sources in $SRC/$src" >&2
        exit 1
    fi
    mkdir -p "$(dirname "$STAGE/$out")"
    if ! (cd "$SRC/$src" && "$MCS" "${args[@]}" "${files[@]}"); then
        echo "error: mcs failed for $out (sources: src/$src)" >&2
        exit 1
    fi
    printf '  %-42s %6d bytes\n' "$out" "$(stat -c %s "$STAGE/$out")"
}

SEMVER=lib/SemanticVersioning.dll
BEPINEX=lib/BepInEx.dll
CECIL=lib/Mono.Cecil.dll
CORE40=spt-4.0/SPTarkov.Server.Core.dll
CORE41=spt-4.1/SPTarkov.Server.Core.dll

echo "stand-ins:"
compile "$SEMVER"                  library stubs/SemanticVersioning
compile "$BEPINEX"                 library stubs/BepInEx
compile "$CECIL"                   library stubs/Mono.Cecil
compile "$CORE40"                  library stubs/SPTarkov.Server.Core-4.0 "$SEMVER"
compile "$CORE41"                  library stubs/SPTarkov.Server.Core-4.1 "$SEMVER"
compile spt/spt-core.dll           library stubs/spt-core                 "$BEPINEX"
compile eft/EscapeFromTarkov.exe   exe     stubs/EscapeFromTarkov

echo "SPT 4.0 server mods:"
compile server-4.0/LootPulse.Server.dll         library mods/LootPulse.Server         "$SEMVER" "$CORE40"
compile server-4.0/LootPulse.Compat.dll         library mods/LootPulse.Compat         "$SEMVER" "$CORE40"
compile server-4.0/Fika.Server.dll              library mods/Fika.Server              "$SEMVER" "$CORE40"
compile server-4.0/Larkspur.TraderTimers.dll    library mods/Larkspur.TraderTimers    "$SEMVER" "$CORE40"
compile server-4.0/BetterScavKarma.dll          library mods/BetterScavKarma          "$SEMVER" "$CORE40"
compile server-4.0/HideoutAutomation.Common.dll library mods/HideoutAutomation.Common "$CORE40"
compile server-4.0/HideoutAutomation.dll        library mods/HideoutAutomation        "$SEMVER" "$CORE40" \
                                                server-4.0/HideoutAutomation.Common.dll

echo "SPT 4.1 server mods:"
compile server-4.1/FleaTweaks.dll               library mods/FleaTweaks               "$SEMVER" "$CORE41"
compile server-4.1/Larkspur.StashSorter.dll     library mods/Larkspur.StashSorter     "$SEMVER" "$CORE41"
compile server-4.1/RaidReview.dll               library mods/RaidReview               "$SEMVER" "$CORE41"

echo "client plugins:"
compile client/LootPulse.Client.dll             library mods/LootPulse.Client         "$BEPINEX"
compile client/TacticalHUD.Shared.dll           library mods/TacticalHUD.Shared
compile client/TacticalHUD.dll                  library mods/TacticalHUD              "$BEPINEX" client/TacticalHUD.Shared.dll
compile client/SwiftSort.Core.dll               library mods/SwiftSort.Core           "$BEPINEX"
compile client/SwiftSort.Extras.dll             library mods/SwiftSort.Extras         "$BEPINEX" client/SwiftSort.Core.dll
compile client/AmmoTools.dll                    library mods/AmmoTools                "$BEPINEX"

echo "preloader patchers:"
compile patchers/Ravenfall.Prepatch.dll         library mods/Ravenfall.Prepatch       "$CECIL"

# Give the server mods the collection-initialiser IL shape csc emits (dup
# instead of mcs's temporary local; see csc_shape.py). FleaTweaks.dll is left
# in mcs shape on purpose so readers are exercised on both shapes.
echo "csc-shape pass:"
(cd "$STAGE" && "$PYTHON" "$HERE/csc_shape.py" \
    server-4.0/LootPulse.Server.dll \
    server-4.0/LootPulse.Compat.dll \
    server-4.0/BetterScavKarma.dll \
    server-4.1/Larkspur.StashSorter.dll \
    server-4.1/RaidReview.dll)

if [ "$mode" = check ]; then
    if diff -r "$STAGE" "$OUT" >/dev/null 2>&1; then
        echo "OK: $OUT is up to date"
        exit 0
    fi
    echo "error: $OUT is stale; differences:" >&2
    diff -rq "$STAGE" "$OUT" >&2 || true
    echo "rebuild with: bash tests/assemblies/build.sh" >&2
    exit 1
fi

# Replace the output only after everything compiled, so a failed build never
# leaves a half-populated tree behind.
rm -rf "$OUT"
mkdir -p "$(dirname "$OUT")"
cp -r "$STAGE" "$OUT"
chmod -R u=rwX,go=rX "$OUT"
echo "wrote $OUT"
