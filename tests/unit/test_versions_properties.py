"""Property tests for app.core.versions: the table tests pin known cases, these check the algebra."""

from __future__ import annotations

import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.versions import (
    DIALECTS,
    Version,
    VersionInterval,
    constraints_intersect,
    max_satisfying,
    parse_constraint,
    parse_version,
    satisfies,
)

# No example database: these run in a few seconds and should not leave files in the work tree.
FAST = settings(max_examples=200, deadline=None, database=None)

Triple = tuple[int, int, int]
numbers = st.integers(min_value=0, max_value=12)
triples = st.tuples(numbers, numbers, numbers)
dialects = st.sampled_from(DIALECTS)

# Small fixed pools keep each example cheap; they still cover numeric vs alphanumeric, ASCII order
# (upper case before lower case), hyphens, leading digits and prefixes ("a" < "a1" < "alpha").
prerelease_ids = st.sampled_from([0, 1, 2, 10, 11, "a", "a1", "alpha", "b", "beta", "RC", "rc", "-", "1a"])
build_ids = st.sampled_from(["0", "001", "build", "sha-1", "X"])
versions = st.builds(
    Version,
    numbers,
    numbers,
    numbers,
    st.lists(prerelease_ids, max_size=3).map(tuple),
    st.lists(build_ids, max_size=2).map(tuple),
)
def _text(t: Triple) -> str:
    return f"{t[0]}.{t[1]}.{t[2]}"


# Prerelease labels both dialects can read, so that one version string can go to either.
SHARED_LABELS = ["", "-alpha", "-alpha.1", "-beta", "-beta.2", "-beta.10", "-RC", "-RC.1"]
SMALL = [(a, b, c) for a in range(3) for b in range(4) for c in range(4)]
shared_versions = st.sampled_from([_text(t) + label for t in SMALL for label in SHARED_LABELS])


def _atoms() -> list[str]:
    """Every atom of a small constraint grammar that both dialects read the same way syntactically."""
    atoms = []
    for t in [(0, 0, 1), (0, 1, 0), (0, 2, 3), (1, 0, 0), (1, 2, 3), (1, 3, 0), (2, 0, 0)]:
        text = _text(t)
        atoms += [op + text + label for op in ("", ">", ">=", "<", "<=") for label in ("", "-beta.2", "-RC")]
        atoms += [f"~{text}", f"~{t[0]}.{t[1]}", f"~{t[0]}", f"^{text}", f"^{t[0]}.{t[1]}", f"^{t[0]}"]
        atoms += [f"{t[0]}.{t[1]}.x", f"{t[0]}.x"]
    return atoms


def _constraint_pool(size: int = 3000) -> list[str]:
    """Constraints of one or two OR-groups, each one or two atoms or a hyphen range (which npm reads only
    as a whole comparator set). Drawing one string from a fixed pool is much cheaper than composing it
    with hypothesis, which keeps this file at a few seconds."""
    rng = random.Random(20240611)
    atoms = _atoms()
    hyphens = ["0.1.0 - 1.2.3", "0.1.0 - 2.0.0", "1.2.3 - 1.2.3", "1.2.3 - 2.0.0", "1.2 - 2", "0.1 - 1.3"]

    def group() -> str:
        if rng.random() < 0.1:
            return rng.choice(hyphens)
        return " ".join(rng.choice(atoms) for _ in range(rng.randint(1, 2)))

    return sorted({" || ".join(group() for _ in range(rng.randint(1, 2))) for _ in range(size)})


constraints = st.sampled_from(_constraint_pool())


# --------------------------------------------------------------------------------------------------------
# Version
# --------------------------------------------------------------------------------------------------------


@FAST
@given(versions)
def test_str_and_parse_round_trip(version: Version) -> None:
    parsed = parse_version(str(version))
    assert parsed == version
    assert (parsed.prerelease, parsed.build) == (version.prerelease, version.build)
    assert str(parsed) == str(version)


@FAST
@given(triples, triples)
def test_release_order_is_tuple_order(a: Triple, b: Triple) -> None:
    va, vb = Version(*a), Version(*b)
    assert (va < vb) == (a < b)
    assert (va == vb) == (a == b)
    assert (va > vb) == (a > b)


def _node_compare(a: Version, b: Version) -> int:
    """node-semver's SemVer.compare, written out independently of Version.precedence_key."""
    if a.base != b.base:
        return -1 if a.base < b.base else 1
    if not a.prerelease or not b.prerelease:
        return (not a.prerelease) - (not b.prerelease)
    for x, y in zip(a.prerelease, b.prerelease, strict=False):
        if x == y:
            continue
        if isinstance(x, int) and isinstance(y, int):
            return -1 if x < y else 1
        if isinstance(x, int) != isinstance(y, int):
            return -1 if isinstance(x, int) else 1
        return -1 if str(x) < str(y) else 1
    return (len(a.prerelease) > len(b.prerelease)) - (len(a.prerelease) < len(b.prerelease))


@FAST
@given(versions, versions)
def test_precedence_matches_node_semver_compare(a: Version, b: Version) -> None:
    expected = _node_compare(a, b)
    assert (a < b) == (expected < 0)
    assert (a == b) == (expected == 0)
    if a == b:
        assert hash(a) == hash(b)


@FAST
@given(st.lists(versions, min_size=2, max_size=5))
def test_precedence_is_a_total_order(items: list[Version]) -> None:
    ordered = sorted(items)
    for lower, higher in itertools.pairwise(ordered):
        assert lower <= higher
        assert not higher < lower


@FAST
@given(triples, triples)
def test_composer_orders_releases_like_tuples(a: Triple, b: Triple) -> None:
    # For releases composer's version_compare order and SemVer precedence agree.
    assert satisfies(_text(a), f"<{_text(b)}", "composer") == (a < b)
    assert satisfies(_text(a), f"=={_text(b)}", "composer") == (a == b)


# --------------------------------------------------------------------------------------------------------
# Caret and tilde against their explicit bounds
# --------------------------------------------------------------------------------------------------------


def _caret_upper(t: Triple) -> Triple:
    major, minor, patch = t
    if major:
        return (major + 1, 0, 0)
    if minor:
        return (0, minor + 1, 0)
    return (0, 0, patch + 1)


@FAST
@given(triples, triples, dialects)
def test_caret_is_its_bounds(bound: Triple, version: Triple, dialect: str) -> None:
    expected = bound <= version < _caret_upper(bound)
    assert satisfies(_text(version), f"^{_text(bound)}", dialect) == expected


@FAST
@given(triples, triples, dialects)
def test_tilde_is_its_bounds(bound: Triple, version: Triple, dialect: str) -> None:
    major, minor, _ = bound
    expected = bound <= version < (major, minor + 1, 0)
    assert satisfies(_text(version), f"~{_text(bound)}", dialect) == expected
    # Two-part tildes are where the dialects part ways.
    upper = (major + 1, 0, 0) if dialect == "composer" else (major, minor + 1, 0)
    assert satisfies(_text(version), f"~{major}.{minor}", dialect) == ((major, minor, 0) <= version < upper)


@FAST
@given(triples, triples, dialects)
def test_wildcard_is_its_bounds(bound: Triple, version: Triple, dialect: str) -> None:
    major, minor, _ = bound
    assert satisfies(_text(version), f"{major}.{minor}.x", dialect) == ((major, minor) == version[:2])
    assert satisfies(_text(version), f"{major}.*", dialect) == (major == version[0])


# --------------------------------------------------------------------------------------------------------
# Intersections, unions and maxima
# --------------------------------------------------------------------------------------------------------


@FAST
@given(shared_versions, constraints, constraints, dialects)
def test_a_common_version_means_the_constraints_intersect(version: str, a: str, b: str, dialect: str) -> None:
    if satisfies(version, a, dialect) and satisfies(version, b, dialect):
        assert constraints_intersect(a, b, dialect)


@FAST
@given(constraints, constraints)
def test_npm_intersection_has_a_witness(a: str, b: str) -> None:
    # npm's intersection is exact: when it says yes, the smallest version in the overlap satisfies both.
    first, second = parse_constraint(a, "npm"), parse_constraint(b, "npm")
    overlaps = [x.intersect(y) for x in first.intervals for y in second.intervals]
    witnesses = [o._npm_witness() for o in overlaps if o is not None]
    assert constraints_intersect(a, b, "npm") == bool(witnesses)
    for witness in witnesses:
        assert witness is not None
        assert satisfies(str(witness), a, "npm") and satisfies(str(witness), b, "npm")


@FAST
@given(constraints, dialects)
def test_intersect_with_itself_unless_empty(a: str, dialect: str) -> None:
    assert constraints_intersect(a, a, dialect) == (not parse_constraint(a, dialect).is_empty)
    if dialect == "composer":
        assert constraints_intersect(a, "*", dialect) == (not parse_constraint(a, dialect).is_empty)
    else:
        # npm's "*" admits no prerelease, so ">0.0.0 0.0.1-alpha" (only 0.0.1-alpha) does not meet it: the
        # overlap is exactly the releases that satisfy `a`.
        intervals = parse_constraint(a, "npm").intervals
        releases = [VersionInterval(i.lower, i.upper, frozenset())._npm_witness() for i in intervals]
        found = [r for r in releases if r is not None]
        assert constraints_intersect(a, "*", dialect) == bool(found)
        assert all(satisfies(str(r), a, "npm") and not r.is_prerelease for r in found)


@FAST
@given(shared_versions, constraints, constraints, dialects)
def test_or_is_union(version: str, a: str, b: str, dialect: str) -> None:
    either = satisfies(version, a, dialect) or satisfies(version, b, dialect)
    assert satisfies(version, f"{a} || {b}", dialect) == either


@FAST
@given(st.lists(shared_versions, max_size=5), constraints)
def test_npm_max_satisfying_is_the_largest_match(items: list[str], constraint: str) -> None:
    matching = [v for v in items if satisfies(v, constraint, "npm")]
    best = max_satisfying(items, constraint, "npm")
    if not matching:
        assert best is None
    else:
        assert best is not None
        assert parse_version(best) == max(parse_version(v) for v in matching)
        assert best == next(v for v in matching if parse_version(v) == parse_version(best))


@FAST
@given(st.lists(shared_versions, max_size=5), constraints)
def test_composer_max_satisfying_matches_and_dominates(items: list[str], constraint: str) -> None:
    best = max_satisfying(items, constraint, "composer")
    matching = [v for v in items if satisfies(v, constraint, "composer")]
    assert (best is None) == (not matching)
    if best is not None:
        assert satisfies(best, constraint, "composer")
        # nothing that matches is strictly above it in composer's order
        assert not any(satisfies(v, f">{best}", "composer") for v in matching)


@FAST
@given(triples, st.integers(min_value=0, max_value=99999), dialects)
def test_four_part_versions_compare_as_their_first_three_parts(
    t: Triple, revision: int, dialect: str
) -> None:
    four_part = f"{_text(t)}.{revision}"
    assert satisfies(four_part, f"={_text(t)}", dialect)
    assert parse_version(four_part) == Version(*t)
