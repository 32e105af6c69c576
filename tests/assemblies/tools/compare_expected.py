"""Compare RuntimeDump.exe output (JSON lines on stdin) with expected.json.

Used by `bash tests/assemblies/build.sh --verify`. Only fields that the
runtime dump can observe are compared; documentation-only fields of
expected.json (install_path, idioms, il_shape, expect_ignored, ...) are not.
Standard library only.
"""

import json
import sys

# expected.json kind -> kind the runtime dump reports for that file
KIND_AT_RUNTIME = {
    "spt-client-core": "client",
    "spt-server-core": "library",
    "game": "library",
    "reference": "library",
}
DOC_ONLY = {"install_path", "idioms", "il_shape", "expect_ignored", "spt_version", "eft_version"}


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as fh:
        expected = json.load(fh)
    actual = {}
    for line in sys.stdin:
        if line.strip():
            actual.update(json.loads(line))
    failures = 0
    for path, exp in expected.items():
        got = actual.get(path)
        if got is None:
            print(f"FAIL {path}: not in runtime dump")
            failures += 1
            continue
        problems = []
        want_kind = KIND_AT_RUNTIME.get(exp["kind"], exp["kind"])
        if got.get("kind") != want_kind:
            problems.append("kind: expected {!r}, runtime {!r}".format(want_kind, got.get("kind")))
        for key, value in exp.items():
            if key in DOC_ONLY or key == "kind" or (key == "generation" and exp["kind"] != "server"):
                continue
            if key not in got:
                problems.append(f"{key}: not observable at runtime")
            elif got[key] != value:
                problems.append(f"{key}: expected {value!r}, runtime {got[key]!r}")
        if problems:
            failures += 1
            print(f"FAIL {path}")
            for p in problems:
                print("     " + p)
        else:
            print(f"ok   {path}")
    extra = sorted(set(actual) - set(expected))
    for path in extra:
        print(f"FAIL {path}: built but missing from expected.json")
        failures += 1
    print(f"{len(expected) + len(extra) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
