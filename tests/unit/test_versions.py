"""Table tests for app.core.versions.

Most rows are copied from the reference implementations' own test suites, so a failure here means Kappa
disagrees with the Forge or the SPT server, not merely with its author:

* composer/semver 3.4: tests/VersionParserTest.php, tests/SemverTest.php, tests/ComparatorTest.php
* node-semver 7: test/fixtures/range-parse.js, range-include.js, range-exclude.js, comparisons.js,
  range-intersection.js (rows that need loose=true or includePrerelease=true are left out: the SPT server
  uses neither)
"""

from __future__ import annotations

import itertools

import pytest

from app.core.versions import (
    DIALECTS,
    Version,
    VersionConstraint,
    constraints_intersect,
    max_satisfying,
    parse_constraint,
    parse_version,
    satisfies,
)

# --------------------------------------------------------------------------------------------------------
# parse_version
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.2.3", "1.2.3"),
        ("  1.2.3  ", "1.2.3"),
        ("v1.2.3", "1.2.3"),
        ("V1.2.3", "1.2.3"),
        ("1", "1.0.0"),
        ("1.2", "1.2.0"),
        ("v2", "2.0.0"),
        ("1.2.3+build.5", "1.2.3+build.5"),
        ("1.0.0-beta.2", "1.0.0-beta.2"),
        ("1.0.0-rc.1+sha.abc", "1.0.0-rc.1+sha.abc"),
        ("1.0.0-alpha-2.1-3", "1.0.0-alpha-2.1-3"),
        ("1.0.0+build-1", "1.0.0+build-1"),
        ("13.9.1.27928", "13.9.1+27928"),  # .NET file version, imported like the Forge does
        ("1.2.3.0", "1.2.3"),  # a zero revision is dropped, not kept as +0
        ("1.2.3.4+abc", "1.2.3+4.abc"),
        ("1.2.3.4-beta", "1.2.3-beta+4"),
        ("2024.01.15", "2024.1.15"),
        ("0.0.0", "0.0.0"),
        ("1.0.0-0", "1.0.0-0"),
        ("1.0.0-x.7.z.92", "1.0.0-x.7.z.92"),
        ("\t4.0.10 \n", "4.0.10"),
    ],
)
def test_parse_version_leniency(text: str, expected: str) -> None:
    assert str(parse_version(text)) == expected


def test_parse_version_fields() -> None:
    version = parse_version("13.9.1.27928")
    assert (version.major, version.minor, version.patch) == (13, 9, 1)
    assert version.prerelease == ()
    assert version.build == ("27928",)
    beta = parse_version("1.0.0-beta.11.x")
    assert beta.prerelease == ("beta", 11, "x")
    assert beta.is_prerelease
    assert not version.is_prerelease
    assert beta.base == (1, 0, 0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1.x.3", "invalid version '1.x.3': 'x' is not a number"),
        ("", "it is empty"),
        ("   ", "it is empty"),
        ("v", "a numeric part is empty"),
        ("1..2", "a numeric part is empty"),
        ("1.2.3.4.5", "'1.2.3.4.5' has 5 numeric parts, at most 4 are allowed"),
        ("1.0.0beta", "'0beta' is not a number"),
        ("1.2.3-", "prerelease '' has an empty identifier"),
        ("1.2.3-beta..1", "prerelease 'beta..1' has an empty identifier"),
        ("1.2.3-be$ta", "'be$ta' is not a valid prerelease identifier"),
        ("1.2.3-beta.01", "numeric prerelease identifier '01' has a leading zero"),
        ("1.2.3+", "build metadata '' has an empty identifier"),
        ("1.2.3+a+b", "'a+b' is not a valid build metadata identifier"),
        ("abc", "'abc' is not a number"),
        ("1.2.3 4", "'3 4' is not a number"),
    ],
)
def test_parse_version_errors_name_the_bad_part(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="invalid version") as caught:
        parse_version(text)
    assert message in str(caught.value)
    assert repr(text) in str(caught.value)


def test_parse_version_rejects_non_strings() -> None:
    with pytest.raises(TypeError):
        parse_version(123)  # type: ignore[arg-type]


# SemVer 2.0 spec, section 11: each version has lower precedence than the next.
SEMVER_SPEC_CHAIN = [
    "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
    "1.0.0-rc.1", "1.0.0", "2.0.0", "2.1.0", "2.1.1",
]


def test_precedence_follows_the_semver_spec_chain() -> None:
    versions = [parse_version(v) for v in SEMVER_SPEC_CHAIN]
    for lower, higher in itertools.pairwise(versions):
        assert lower < higher
        assert higher > lower
        assert lower != higher
    assert sorted(reversed(versions)) == versions


# node-semver test/fixtures/comparisons.js: the first version is greater than the second.
NODE_COMPARISONS = [
    ("0.0.0", "0.0.0-foo"), ("0.0.1", "0.0.0"), ("1.0.0", "0.9.9"), ("0.10.0", "0.9.0"), ("0.99.0", "0.10.0"),
    ("2.0.0", "1.2.3"), ("v0.0.0", "0.0.0-foo"), ("v0.0.1", "0.0.0"), ("v1.0.0", "0.9.9"),
    ("v0.10.0", "0.9.0"), ("v0.99.0", "0.10.0"), ("v2.0.0", "1.2.3"), ("0.0.0", "v0.0.0-foo"),
    ("0.0.1", "v0.0.0"), ("1.0.0", "v0.9.9"), ("0.10.0", "v0.9.0"), ("0.99.0", "v0.10.0"),
    ("2.0.0", "v1.2.3"),
    ("1.2.3", "1.2.3-asdf"), ("1.2.3", "1.2.3-4"), ("1.2.3", "1.2.3-4-foo"), ("1.2.3-5-foo", "1.2.3-5"),
    ("1.2.3-5", "1.2.3-4"), ("1.2.3-5-foo", "1.2.3-5-Foo"), ("3.0.0", "2.7.2+asdf"),
    ("1.2.3-a.10", "1.2.3-a.5"),
    ("1.2.3-a.b", "1.2.3-a.5"), ("1.2.3-a.b", "1.2.3-a"), ("1.2.3-a.b.c.10.d.5", "1.2.3-a.b.c.5.d.100"),
    ("1.2.3-r2", "1.2.3-r100"), ("1.2.3-r100", "1.2.3-R2"),
]


@pytest.mark.parametrize(("greater", "lesser"), NODE_COMPARISONS)
def test_precedence_matches_node_semver_comparisons(greater: str, lesser: str) -> None:
    assert parse_version(greater) > parse_version(lesser)
    assert parse_version(lesser) < parse_version(greater)


def test_build_metadata_is_ignored_for_precedence_and_equality() -> None:
    a, b = parse_version("1.0.0+a"), parse_version("1.0.0+b")
    assert a == b
    assert not a < b and not b < a
    assert hash(a) == hash(b)
    assert str(a) != str(b)
    assert parse_version("13.9.1.27928") == parse_version("13.9.1")
    assert len({parse_version("1.0"), parse_version("1.0.0"), parse_version("v1.0.0+x")}) == 1


def test_version_is_frozen_and_validated() -> None:
    version = Version(1, 2, 3, ("beta", 2), ("b1",))
    assert str(version) == "1.2.3-beta.2+b1"
    with pytest.raises(AttributeError):
        version.major = 4  # type: ignore[misc]
    with pytest.raises(ValueError, match="non-negative"):
        Version(-1, 0, 0)
    with pytest.raises(ValueError, match="must be given as an int"):
        Version(1, 0, 0, ("2",))
    with pytest.raises(ValueError, match="invalid prerelease identifier"):
        Version(1, 0, 0, ("",))
    with pytest.raises(ValueError, match="invalid build identifier"):
        Version(1, 0, 0, (), ("a.b",))
    assert (Version(1, 0, 0) == "1.0.0") is False


# --------------------------------------------------------------------------------------------------------
# Dialect "composer": what VersionParser::parseConstraints prints (VersionParserTest.php)
# --------------------------------------------------------------------------------------------------------

COMPOSER_PARSE = [
    # simpleConstraints
    ("*", "*"),
    ("v*", ">= 0.0.0.0-dev"),
    ("*.*", ">= 0.0.0.0-dev"),
    ("v*.*", ">= 0.0.0.0-dev"),
    ("*.x.*", ">= 0.0.0.0-dev"),
    ("x.X.x.*", ">= 0.0.0.0-dev"),
    ("<>1.0.0", "!= 1.0.0.0"),
    ("!=1.0.0", "!= 1.0.0.0"),
    (">1.0.0", "> 1.0.0.0"),
    ("<1.2.3.4", "< 1.2.3.4-dev"),
    ("<=1.2.3", "<= 1.2.3.0"),
    (">=1.2.3", ">= 1.2.3.0-dev"),
    ("=1.2.3", "== 1.2.3.0"),
    ("==1.2.3", "== 1.2.3.0"),
    ("1.2.3", "== 1.2.3.0"),
    ("=1.0", "== 1.0.0.0"),
    ("1.2.3b5", "== 1.2.3.0-beta5"),
    ("1.2.3a1", "== 1.2.3.0-alpha1"),
    ("1.2.3p1234", "== 1.2.3.0-patch1234"),
    ("1.2.3pl1234", "== 1.2.3.0-patch1234"),
    (">= 1.2.3", ">= 1.2.3.0-dev"),
    ("< 1.2.3", "< 1.2.3.0-dev"),
    ("> 1.2.3", "> 1.2.3.0"),
    (">=dev-master", ">= dev-master"),
    ("dev-master", "== dev-master"),
    ("dev-feature-a", "== dev-feature-a"),
    ("dev-master as 1.0.0", "== dev-master"),
    ("<1.2.3.4-stable", "< 1.2.3.4"),
    (">=1.2.3.4-stable", ">= 1.2.3.4"),
    # wildcardConstraints
    ("v2.*", "[>= 2.0.0.0-dev < 3.0.0.0-dev]"),
    ("2.*.*", "[>= 2.0.0.0-dev < 3.0.0.0-dev]"),
    ("20.*", "[>= 20.0.0.0-dev < 21.0.0.0-dev]"),
    ("2.0.*", "[>= 2.0.0.0-dev < 2.1.0.0-dev]"),
    ("2.x", "[>= 2.0.0.0-dev < 3.0.0.0-dev]"),
    ("2.x.x", "[>= 2.0.0.0-dev < 3.0.0.0-dev]"),
    ("2.2.x", "[>= 2.2.0.0-dev < 2.3.0.0-dev]"),
    ("2.10.X", "[>= 2.10.0.0-dev < 2.11.0.0-dev]"),
    ("2.1.3.*", "[>= 2.1.3.0-dev < 2.1.4.0-dev]"),
    ("0.*", "< 1.0.0.0-dev"),
    ("0.*.*", "< 1.0.0.0-dev"),
    ("0.x", "< 1.0.0.0-dev"),
    ("0.x.x", "< 1.0.0.0-dev"),
    # tildeConstraints
    ("~v1", "[>= 1.0.0.0-dev < 2.0.0.0-dev]"),
    ("~1.0", "[>= 1.0.0.0-dev < 2.0.0.0-dev]"),
    ("~1.0.0", "[>= 1.0.0.0-dev < 1.1.0.0-dev]"),
    ("~1.2", "[>= 1.2.0.0-dev < 2.0.0.0-dev]"),
    ("~1.2.3", "[>= 1.2.3.0-dev < 1.3.0.0-dev]"),
    ("~1.2.3.4", "[>= 1.2.3.4-dev < 1.2.4.0-dev]"),
    ("~1.2-beta", "[>= 1.2.0.0-beta < 2.0.0.0-dev]"),
    ("~1.2-b2", "[>= 1.2.0.0-beta2 < 2.0.0.0-dev]"),
    ("~1.2-BETA2", "[>= 1.2.0.0-beta2 < 2.0.0.0-dev]"),
    ("~1.2.2-dev", "[>= 1.2.2.0-dev < 1.3.0.0-dev]"),
    ("~1.2.2-stable", "[>= 1.2.2.0 < 1.3.0.0-dev]"),
    ("~201903.0", "[>= 201903.0-dev < 201904.0.0.0-dev]"),
    ("~201903.0-beta", "[>= 201903.0-beta < 201904.0.0.0-dev]"),
    ("~2.x-dev", "[>= 2.9999999.9999999.9999999-dev < 3.0.0.0-dev]"),
    ("~2.0.x-dev", "[>= 2.0.9999999.9999999-dev < 2.1.0.0-dev]"),
    ("~2.0.3.x-dev", "[>= 2.0.3.9999999-dev < 2.0.4.0-dev]"),
    ("~0.x-dev", "[>= 0.9999999.9999999.9999999-dev < 1.0.0.0-dev]"),
    # caretConstraints
    ("^v1", "[>= 1.0.0.0-dev < 2.0.0.0-dev]"),
    ("^0", "[>= 0.0.0.0-dev < 1.0.0.0-dev]"),
    ("^0.0", "[>= 0.0.0.0-dev < 0.1.0.0-dev]"),
    ("^1.2", "[>= 1.2.0.0-dev < 2.0.0.0-dev]"),
    ("^1.2.3-beta.2", "[>= 1.2.3.0-beta2 < 2.0.0.0-dev]"),
    ("^1.2.3.4", "[>= 1.2.3.4-dev < 2.0.0.0-dev]"),
    ("^1.2.3", "[>= 1.2.3.0-dev < 2.0.0.0-dev]"),
    ("^0.2.3", "[>= 0.2.3.0-dev < 0.3.0.0-dev]"),
    ("^0.2", "[>= 0.2.0.0-dev < 0.3.0.0-dev]"),
    ("^0.2.0", "[>= 0.2.0.0-dev < 0.3.0.0-dev]"),
    ("^0.0.3", "[>= 0.0.3.0-dev < 0.0.4.0-dev]"),
    ("^0.0.3-alpha", "[>= 0.0.3.0-alpha < 0.0.4.0-dev]"),
    ("^0.0.3-dev", "[>= 0.0.3.0-dev < 0.0.4.0-dev]"),
    ("^0.0.3-stable", "[>= 0.0.3.0 < 0.0.4.0-dev]"),
    ("^201903.0", "[>= 201903.0-dev < 201904.0.0.0-dev]"),
    ("^2.x-dev", "[>= 2.9999999.9999999.9999999-dev < 3.0.0.0-dev]"),
    ("^2.0.x-dev", "[>= 2.0.9999999.9999999-dev < 3.0.0.0-dev]"),
    ("^0.x-dev", "[>= 0.9999999.9999999.9999999-dev < 1.0.0.0-dev]"),
    # hyphenConstraints
    ("v1 - v2", "[>= 1.0.0.0-dev < 3.0.0.0-dev]"),
    ("1.2.3 - 2.3.4.5", "[>= 1.2.3.0-dev <= 2.3.4.5]"),
    ("1.2-beta - 2.3", "[>= 1.2.0.0-beta < 2.4.0.0-dev]"),
    ("1.2-beta - 2.3-dev", "[>= 1.2.0.0-beta <= 2.3.0.0-dev]"),
    ("1.2-RC - 2.3.1", "[>= 1.2.0.0-RC <= 2.3.1.0]"),
    ("1.2.3-alpha - 2.3-RC", "[>= 1.2.3.0-alpha <= 2.3.0.0-RC]"),
    ("1 - 2.0", "[>= 1.0.0.0-dev < 2.1.0.0-dev]"),
    ("1 - 2.1", "[>= 1.0.0.0-dev < 2.2.0.0-dev]"),
    ("1.2 - 2.1.0", "[>= 1.2.0.0-dev <= 2.1.0.0]"),
    ("1.3 - 2.1.3", "[>= 1.3.0.0-dev <= 2.1.3.0]"),
    ("2.0.x-dev - 3.0.x-dev", "[>= 2.0.9999999.9999999-dev <= 3.0.9999999.9999999-dev]"),
    # constraintProvider
    ("3.x-dev", "== 3.9999999.9999999.9999999-dev"),
    ("3-dev", "== 3.0.0.0-dev"),
    ("xsd2php-dev", "== dev-xsd2php"),
    ("3.next-dev", "== dev-3.next"),
    ("foobar-dev", "== dev-foobar"),
    ("foobar-dev as 2.1.0 || 3.5", "[== dev-foobar || == 3.5.0.0]"),
    ("2.1.0 - 2.3-dev", "[>= 2.1.0.0-dev <= 2.3.0.0-dev]"),
    ("1.0 - 2.0.x-dev", "[>= 1.0.0.0-dev <= 2.0.9999999.9999999-dev]"),
    ("^1.", "[>= 1.0.0.0-dev < 2.0.0.0-dev]"),
    ("~1.", "[>= 1.0.0.0-dev < 2.0.0.0-dev]"),
    ("1.2.", "== 1.2.0.0"),
    ("1.2..dev", "== 1.2.0.0-dev"),
    ("1.2-.dev", "== 1.2.0.0-dev"),
    ("1.2_-dev", "== 1.2.0.0-dev"),
    (
        "~2.5.9|~2.6,>=2.6.2",
        "[[>= 2.5.9.0-dev < 2.6.0.0-dev] || [>= 2.6.0.0-dev < 3.0.0.0-dev >= 2.6.2.0-dev]]",
    ),
    # stability flags, refs, collapsing and multi constraints
    ("1.0@dev", "== 1.0.0.0"),
    (">=1.0@beta", ">= 1.0.0.0-beta"),
    ("dev-load-varnish-only-when-used@dev as ^2.0@dev", "== dev-load-varnish-only-when-used"),
    ("1.0.x-dev#abcd123", "== 1.0.9999999.9999999-dev"),
    ("^2.5 || ^3.0", "[>= 2.5.0.0-dev < 4.0.0.0-dev]"),
    ("^0.2 || ^1.0", "[[>= 0.2.0.0-dev < 0.3.0.0-dev] || [>= 1.0.0.0-dev < 2.0.0.0-dev]]"),
    ("~0.1 || ~1.0 !=1.0.1", "[[>= 0.1.0.0-dev < 1.0.0.0-dev] || [>= 1.0.0.0-dev < 2.0.0.0-dev != 1.0.1.0]]"),
    (">=1.1.0-alpha4,<1.2.x-dev", "[>= 1.1.0.0-alpha4 < 1.2.9999999.9999999-dev]"),
    (">=1.1.0-alpha4,<1.2-beta2", "[>= 1.1.0.0-alpha4 < 1.2.0.0-beta2]"),
    (">2.0,<2.0.5 | >2.0.6", "[[> 2.0.0.0 < 2.0.5.0-dev] || > 2.0.6.0]"),
    (">2.0,<2.0.5 || >2.0.6", "[[> 2.0.0.0 < 2.0.5.0-dev] || > 2.0.6.0]"),
    ("> 2.0 , <2.0.5 | >  2.0.6", "[[> 2.0.0.0 < 2.0.5.0-dev] || > 2.0.6.0]"),
    (">2.0@stable,<=3.0@dev", "[> 2.0.0.0 <= 3.0.0.0-dev]"),
    (">2.0@stable,@dev", "[> 2.0.0.0 *]"),
    (">2.0@stable || 0@dev", "[> 2.0.0.0 || == 0.0.0.0]"),
    # real SPT constraints from the Forge
    (" 4.0.10 ", "== 4.0.10.0"),
    ("~4.0.0", "[>= 4.0.0.0-dev < 4.1.0.0-dev]"),
    ("~4.0", "[>= 4.0.0.0-dev < 5.0.0.0-dev]"),
    (">=4.0.2 < 4.0.9", "[>= 4.0.2.0-dev < 4.0.9.0-dev]"),
    (">=4.0.13", ">= 4.0.13.0-dev"),
]


@pytest.mark.parametrize(("text", "expected"), COMPOSER_PARSE)
def test_composer_parse_prints_like_composer(text: str, expected: str) -> None:
    assert str(parse_constraint(text, "composer")) == expected


@pytest.mark.parametrize(
    "text",
    [
        ">2.0,<=3.0", ">2.0 <=3.0", ">2.0  <=3.0", ">2.0, <=3.0", ">2.0 ,<=3.0", ">2.0 , <=3.0",
        ">2.0   , <=3.0", "> 2.0   <=  3.0", "> 2.0  ,  <=  3.0", "  > 2.0  ,  <=  3.0 ",
    ],
)
def test_composer_and_separators(text: str) -> None:
    assert str(parse_constraint(text, "composer")) == "[> 2.0.0.0 <= 3.0.0.0]"


@pytest.mark.parametrize(
    "text",
    [
        # failingConstraints
        "", "1.0.0-meh", ">2.0,,<=3.0", ">2.0 ,, <=3.0", ">2.0 ||| <=3.0", ",^1@dev || ^4@dev", ",^1@dev",
        "|| ^1@dev", "^1@dev ||", "^1@dev ,", "^2.0.*", "^2.0.x", "^2.0.x-beta", "^2.*", "^2.x", "^2.x-beta",
        "^2.1.2.*", "^2.1.2.x", "~2.0.*", "~2.0.x", "~2.*", "~2.x", "~2.1.2.x-beta", "1.x - 2.*",
        "2.x.x.x-dev - 3.x.x.x-dev", "^1.*-beta-dev", "^1. *-dev", "~1.*-beta-dev", "1.0.0-dev<1.0.5-dev",
        "*-dev", "^", "^8 || ^", "~", "~1 ~", "1.0#abcd123", "~>1.2",
        # what mod authors get wrong
        "1.0.0-FikaEnhanced", ">=4.0.0-fika", "latest",
    ],
)
def test_composer_rejects_what_composer_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="invalid composer constraint"):
        parse_constraint(text, "composer")


def test_composer_error_names_the_bad_part() -> None:
    with pytest.raises(ValueError) as caught:
        parse_constraint(">=4.0.0 <4.x.y", "composer")
    message = str(caught.value)
    assert "'>=4.0.0 <4.x.y'" in message
    assert "<4.x.y" in message and "Invalid version string" in message
    with pytest.raises(ValueError, match='Invalid operator "~>"'):
        parse_constraint("~>1.2", "composer")


# --------------------------------------------------------------------------------------------------------
# Dialect "composer": Semver::satisfies (SemverTest.php) and the Forge's real constraints
# --------------------------------------------------------------------------------------------------------

COMPOSER_SATISFIES = [
    ("1.2.3", "1.0.0 - 2.0.0"), ("1.2.3", "^1.2.3+build"), ("1.3.0", "^1.2.3+build"),
    ("2.4.3-alpha", "1.2.3+asdf - 2.4.3+asdf"), ("1.3.0-beta", ">1.2"), ("1.2.3-beta", "<=1.2.3"),
    ("1.2.3-beta", "^1.2.3"), ("1.2.3", "1.2.3+asdf - 2.4.3+asdf"), ("1.0.0", "1.0.0"), ("1.2.3", "*"),
    ("v1.2.3", "*"), ("1.0.0", ">=1.0.0"), ("1.0.1", ">=1.0.0"), ("1.1.0", ">=1.0.0"), ("1.0.1", ">1.0.0"),
    ("1.1.0", ">1.0.0"), ("2.0.0", "<=2.0.0"), ("1.9999.9999", "<=2.0.0"), ("0.2.9", "<=2.0.0"),
    ("1.9999.9999", "<2.0.0"), ("0.2.9", "<2.0.0"), ("1.0.0", ">= 1.0.0"), ("1.0.1", ">=  1.0.0"),
    ("1.1.0", ">=   1.0.0"), ("1.0.1", "> 1.0.0"), ("1.1.0", ">  1.0.0"), ("2.0.0", "<=   2.0.0"),
    ("1.9999.9999", "<= 2.0.0"), ("0.2.9", "<=  2.0.0"), ("1.9999.9999", "<    2.0.0"), ("0.2.9", "<\t2.0.0"),
    ("v0.1.97", ">=0.1.97"), ("0.1.97", ">=0.1.97"), ("1.2.4", "0.1.20 || 1.2.4"),
    ("0.0.0", ">=0.2.3 || <0.0.1"),
    ("0.2.3", ">=0.2.3 || <0.0.1"), ("0.2.4", ">=0.2.3 || <0.0.1"), ("2.1.3", "2.x.x"), ("1.2.3", "1.2.x"),
    ("2.1.3", "1.2.x || 2.x"), ("1.2.3", "1.2.x || 2.x"), ("1.2.3", "x"), ("2.1.3", "2.*.*"),
    ("1.2.3", "1.2.*"),
    ("2.1.3", "1.2.* || 2.*"), ("1.2.3", "1.2.* || 2.*"), ("2.9.0", "~2.4"), ("2.4.5", "~2.4"),
    ("1.2.3", "~1"),
    ("1.4.7", "~1.0"), ("1.0.0", ">=1"), ("1.0.0", ">= 1"), ("1.2.8", ">1.2"), ("1.1.1", "<1.2"),
    ("1.1.1", "< 1.2"), ("1.2.3", "~1.2.1 >=1.2.3"), ("1.2.3", "~1.2.1 =1.2.3"), ("1.2.3", "~1.2.1 1.2.3"),
    ("1.2.3", "~1.2.1 >=1.2.3 1.2.3"), ("1.2.3", "~1.2.1 1.2.3 >=1.2.3"), ("1.2.3", ">=1.2.1 1.2.3"),
    ("1.2.3", "1.2.3 >=1.2.1"), ("1.2.3", ">=1.2.3 >=1.2.1"), ("1.2.3", ">=1.2.1 >=1.2.3"),
    ("1.2.8", ">=1.2"),
    ("1.8.1", "^1.2.3"), ("0.1.2", "^0.1.2"), ("0.1.2", "^0.1"), ("1.4.2", "^1.2"), ("1.4.2", "^1.2 ^1"),
    ("0.0.1-beta", "^0.0.1-alpha"),
    # ComparatorTest.php compareProvider, as constraints
    ("1.25.0-beta2.1", "<1.25.0-b.3"), ("1.25.0-b2.1", "<1.25.0beta.3"), ("1.25.0-b-2.1", "<1.25.0-rc"),
    ("1.25.0-beta2.1", "==1.25.0-b.2.1"), ("1.25.0beta2.1", "==1.25.0-b2.1"), ("1.25.0", "<>1.24.0"),
    # the -dev suffix composer adds to < and >= bounds and generated ranges
    ("3.11.5-beta", "^3.11.0"), ("1.2.0-beta", ">=1.2"), ("4.0.0-beta", "<=4.0"), ("3.0.1-RC1", ">3.0"),
    ("1.2.0-alpha", "~1.2"), ("1.2.0-dev", "1.2.*"), ("1.0.0-beta", "1.0 - 2.0"), ("2.0.5-RC1", "1.0 - 2.0"),
    # composer's stability order: dev < alpha < beta < RC < stable < patch, numbers compared as numbers
    ("1.0.0-beta10", ">1.0.0-beta2"), ("1.0.0-beta.10", ">1.0.0-beta.2"), ("1.0.0-beta2", "==1.0.0-beta.2"),
    ("1.0.0-patch1", ">1.0.0"), ("1.0.0-pl2", ">1.0.0-p1"), ("1.0.0-RC1", ">1.0.0-beta9"),
    ("1.0.0-alpha9", ">1.0.0-dev"),
    # the Forge's four-part versions: the revision is build metadata
    ("13.9.1.27928", "13.9.1"), ("13.9.1.27928", "~13.9"), ("13.9.1+27928", "<=13.9.1"),
    # real SPT constraints
    ("4.0.10", " 4.0.10 "), ("4.0.5", "~4.0.0"), ("4.0.0", "~4.0.0"), ("4.9.0", "~4.0"), ("4.0.3", "~4.0.3"),
    ("4.0.8", ">=4.0.2 < 4.0.9"), ("4.0.11", "4.0.11"), ("3.11.4", "~3.11.0"), ("3.9.0", "3.9.0"),
    ("4.0.13", ">=4.0.13"), ("3.12.0", "~3.11"), ("4.1.0", ">=4.0.13"),
]

COMPOSER_REJECTS = [
    ("2.2.3", "1.0.0 - 2.0.0"), ("2.0.0", "^1.2.3+build"), ("1.2.0", "^1.2.3+build"), ("1.0.0beta", "1"),
    ("1.0.0beta", "<1"), ("1.0.0beta", "< 1"), ("1.0.1", "1.0.0"), ("0.0.0", ">=1.0.0"), ("0.0.1", ">=1.0.0"),
    ("0.1.0", ">=1.0.0"), ("0.0.1", ">1.0.0"), ("0.1.0", ">1.0.0"), ("3.0.0", "<=2.0.0"),
    ("2.9999.9999", "<=2.0.0"), ("2.2.9", "<=2.0.0"), ("2.9999.9999", "<2.0.0"), ("2.2.9", "<2.0.0"),
    ("v0.1.93", ">=0.1.97"), ("0.1.93", ">=0.1.97"), ("1.2.3", "0.1.20 || 1.2.4"),
    ("0.0.3", ">=0.2.3 || <0.0.1"),
    ("0.2.2", ">=0.2.3 || <0.0.1"), ("1.1.3", "2.x.x"), ("3.1.3", "2.x.x"), ("1.3.3", "1.2.x"),
    ("3.1.3", "1.2.x || 2.x"), ("1.1.3", "1.2.x || 2.x"), ("1.1.3", "2.*.*"), ("3.1.3", "2.*.*"),
    ("1.3.3", "1.2.*"), ("3.1.3", "1.2.* || 2.*"), ("1.1.3", "1.2.* || 2.*"), ("1.1.2", "2"),
    ("2.4.1", "2.3"),
    ("3.0.0", "~2.4"), ("2.3.9", "~2.4"), ("0.2.3", "~1"), ("1.0.0", "<1"), ("1.1.1", ">=1.2"),
    ("2.0.0beta", "1"), ("0.5.4-alpha", "~v0.5.4-beta"), ("1.2.3-beta", "<1.2.3"), ("2.0.0-alpha", "^1.2.3"),
    ("1.2.2", "^1.2.3"), ("1.1.9", "^1.2"), ("1.25.0", "<>1.25.0"), ("1.0.1", "~0.1 || ~1.0 !=1.0.1"),
    # -dev bounds: <2.0 stops before 2.0.0's prereleases, an exact version means exactly it
    ("2.0.0-beta", "<2.0"), ("1.0.0-beta", "1.0.0"), ("1.0.0-beta", "=1.0.0"), ("2.1.0-dev", "1.0 - 2.0"),
    ("1.0.0-patch1", "1.0.0"), ("1.0.0", ">1.0.0-patch1"),
    # real SPT constraints
    ("4.0.11", " 4.0.10 "), ("4.1.0", "~4.0.0"), ("5.0.0", "~4.0"), ("4.0.2", "~4.0.3"),
    ("4.0.9", ">=4.0.2 < 4.0.9"),
    ("4.0.1", ">=4.0.2 < 4.0.9"), ("3.11.0", "~3.9.0"), ("4.0.12", ">=4.0.13"), ("4.0.0-beta", "3.9.0"),
    ("4.0.0", "~3.11"),
    # a dev branch constraint never matches a numbered version; "!=" a branch matches all of them
    ("1.0.0", "dev-master"), ("99999.0.0", ">=dev-master"),
]


@pytest.mark.parametrize(("version", "constraint"), COMPOSER_SATISFIES)
def test_composer_satisfies(version: str, constraint: str) -> None:
    assert satisfies(version, constraint, "composer") is True
    assert satisfies(version, constraint) is True  # composer is the default


@pytest.mark.parametrize(("version", "constraint"), COMPOSER_REJECTS)
def test_composer_does_not_satisfy(version: str, constraint: str) -> None:
    assert satisfies(version, constraint, "composer") is False


def test_composer_not_equal_to_a_branch_matches_releases() -> None:
    assert satisfies("1.0.0", "!=dev-master", "composer")


@pytest.mark.parametrize(
    ("version", "label"),
    [("1.0.0-FikaEnhanced", "FikaEnhanced"), ("4.0.1-fika", "fika"), ("1.0.0-alpha.beta", "alpha.beta"),
     ("1.0.0-0.3.7", "0.3.7"), ("2.0.0-SNAPSHOT", "SNAPSHOT")],
)
def test_composer_cannot_parse_foreign_prerelease_labels(version: str, label: str) -> None:
    with pytest.raises(ValueError, match="composer cannot parse the prerelease label") as caught:
        satisfies(version, "*", "composer")
    assert repr(label) in str(caught.value)
    assert repr(version) in str(caught.value)
    # npm reads any SemVer prerelease; a range that names the same prerelease accepts it.
    assert satisfies(version, version, "npm")


@pytest.mark.parametrize("version", ["1.x.3", "", "dev-master", "not a version"])
def test_composer_rejects_unparsable_versions(version: str) -> None:
    with pytest.raises(ValueError, match="invalid version"):
        satisfies(version, "*", "composer")


def test_composer_accepts_composer_only_version_spellings() -> None:
    assert satisfies("1.0.0RC1", "==1.0.0-rc.1", "composer")
    assert satisfies("1.0.0.RC.15-dev", "<=1.0.0-RC15", "composer")
    assert satisfies("2010-01-02", ">=2010.01.01", "composer")


def test_composer_quirks_are_kept() -> None:
    # parseConstraint lowercases the bound before a case-sensitive "RC" test, so "<1.0.0-RC15" gets a
    # -dev suffix (< 1.0.0.0-RC15-dev) and excludes 1.0.0-RC15-dev itself. Composer says so too.
    assert str(parse_constraint("<1.0.0-RC15", "composer")) == "< 1.0.0.0-RC15-dev"
    assert not satisfies("1.0.0-RC15-dev", "<1.0.0-RC15", "composer")
    assert str(parse_constraint("<1.0.0-beta15", "composer")) == "< 1.0.0.0-beta15"
    # Build metadata on a tilde bound swallows the -dev suffix (normalize strips "+build-dev").
    assert str(parse_constraint("~1.2.3+build", "composer")) == "[>= 1.2.3.0 < 1.3.0.0-dev]"
    # An upper-case STABLE is not "stable" to composer, and version_compare ranks it below dev.
    assert not satisfies("1.0.0-STABLE", ">=1.0.0", "composer")


# --------------------------------------------------------------------------------------------------------
# Dialect "npm": node-semver's range-parse.js (what new Range(text).range prints)
# --------------------------------------------------------------------------------------------------------

NPM_PARSE = [
    ("1.0.0 - 2.0.0", ">=1.0.0 <=2.0.0"), ("1 - 2", ">=1.0.0 <3.0.0-0"), ("1.0 - 2.0", ">=1.0.0 <2.1.0-0"),
    ("1.0.0", "1.0.0"), (">=*", "*"), ("", "*"), ("*", "*"), (">=1.0.0", ">=1.0.0"), (">1.0.0", ">1.0.0"),
    ("<=2.0.0", "<=2.0.0"), ("1", ">=1.0.0 <2.0.0-0"), ("<2.0.0", "<2.0.0"), (">= 1.0.0", ">=1.0.0"),
    (">=  1.0.0", ">=1.0.0"), (">=   1.0.0", ">=1.0.0"), ("> 1.0.0", ">1.0.0"), (">  1.0.0", ">1.0.0"),
    ("<=   2.0.0", "<=2.0.0"), ("<= 2.0.0", "<=2.0.0"), ("<=  2.0.0", "<=2.0.0"), ("<    2.0.0", "<2.0.0"),
    ("<\t2.0.0", "<2.0.0"), (">=0.1.97", ">=0.1.97"), ("0.1.20 || 1.2.4", "0.1.20||1.2.4"),
    (">=0.2.3 || <0.0.1", ">=0.2.3||<0.0.1"), ("||", "*"), ("2.x.x", ">=2.0.0 <3.0.0-0"),
    ("1.2.x", ">=1.2.0 <1.3.0-0"), ("1.2.x || 2.x", ">=1.2.0 <1.3.0-0||>=2.0.0 <3.0.0-0"), ("x", "*"),
    ("2.*.*", ">=2.0.0 <3.0.0-0"), ("1.2.*", ">=1.2.0 <1.3.0-0"),
    ("1.2.* || 2.*", ">=1.2.0 <1.3.0-0||>=2.0.0 <3.0.0-0"), ("2", ">=2.0.0 <3.0.0-0"),
    ("2.3", ">=2.3.0 <2.4.0-0"), ("~2.4", ">=2.4.0 <2.5.0-0"), ("~>3.2.1", ">=3.2.1 <3.3.0-0"),
    ("~1", ">=1.0.0 <2.0.0-0"), ("~>1", ">=1.0.0 <2.0.0-0"), ("~> 1", ">=1.0.0 <2.0.0-0"),
    ("~1.0", ">=1.0.0 <1.1.0-0"), ("~ 1.0", ">=1.0.0 <1.1.0-0"), ("^0", "<1.0.0-0"),
    ("^ 1", ">=1.0.0 <2.0.0-0"),
    ("^0.1", ">=0.1.0 <0.2.0-0"), ("^1.0", ">=1.0.0 <2.0.0-0"), ("^1.2", ">=1.2.0 <2.0.0-0"),
    ("^0.0.1", ">=0.0.1 <0.0.2-0"), ("^0.0.1-beta", ">=0.0.1-beta <0.0.2-0"), ("^0.1.2", ">=0.1.2 <0.2.0-0"),
    ("^1.2.3", ">=1.2.3 <2.0.0-0"), ("^1.2.3-beta.4", ">=1.2.3-beta.4 <2.0.0-0"), ("<1", "<1.0.0-0"),
    ("< 1", "<1.0.0-0"), (">=1", ">=1.0.0"), (">= 1", ">=1.0.0"), ("<1.2", "<1.2.0-0"), ("< 1.2", "<1.2.0-0"),
    ("^ 1.2 ^ 1", ">=1.2.0 <2.0.0-0 >=1.0.0"), ("1.2 - 3.4.5", ">=1.2.0 <=3.4.5"),
    ("1.2.3 - 3.4", ">=1.2.3 <3.5.0-0"), ("1.2 - 3.4", ">=1.2.0 <3.5.0-0"), (">1", ">=2.0.0"),
    (">1.2", ">=1.3.0"), (">X", "<0.0.0-0"), ("<X", "<0.0.0-0"), ("<x <* || >* 2.x", "<0.0.0-0"),
    (">x 2.x || * || <x", "*"),
    # README desugaring examples
    ("~1.2.3", ">=1.2.3 <1.3.0-0"), ("^0.2.3", ">=0.2.3 <0.3.0-0"), ("^0.0.3", ">=0.0.3 <0.0.4-0"),
    ("^1.2.x", ">=1.2.0 <2.0.0-0"), ("^0.0.x", "<0.1.0-0"), ("^0.0", "<0.1.0-0"),
    ("^1.x", ">=1.0.0 <2.0.0-0"),
    ("^0.x", "<1.0.0-0"), ("1.2.3 - 2.3.4", ">=1.2.3 <=2.3.4"), ("1.2 - 2.3.4", ">=1.2.0 <=2.3.4"),
    ("1.2.3 - 2.3", ">=1.2.3 <2.4.0-0"), ("1.2.3 - 2", ">=1.2.3 <3.0.0-0"),
    ("~1.2.3-beta.2", ">=1.2.3-beta.2 <1.3.0-0"),
    ("=1.2.3", "1.2.3"), ("v1.2.3", "1.2.3"), ("1.2.3+build", "1.2.3"),
    # real SPT constraints
    (" 4.0.10 ", "4.0.10"), ("~4.0.0", ">=4.0.0 <4.1.0-0"), ("~4.0", ">=4.0.0 <4.1.0-0"),
    (">=4.0.2 < 4.0.9", ">=4.0.2 <4.0.9"), ("~3.11.0", ">=3.11.0 <3.12.0-0"),
]


@pytest.mark.parametrize(("text", "expected"), NPM_PARSE)
def test_npm_parse_prints_like_node_semver(text: str, expected: str) -> None:
    assert str(parse_constraint(text, "npm")) == expected


@pytest.mark.parametrize(
    "text",
    [
        ">01.02.03", "~1.2.3beta", "1.2.3, 1.2.4", ">=1.0.0,<2.0.0", "1.2.3 | 1.2.4", "==1.2.3", "~", "^",
        "1.2.3 - 2.3.4 >=1.0.0", "1.2.3-01", "not a range", ">=1.2.3.4", "1.0.0-FikaEnhanced ||| 2",
        "=>1.0.0",
    ],
)
def test_npm_rejects_what_node_semver_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="invalid npm range"):
        parse_constraint(text, "npm")


def test_npm_comma_is_not_an_and() -> None:
    with pytest.raises(ValueError) as caught:
        parse_constraint("1.2.3, 1.2.4", "npm")
    assert "'1.2.3,' is not a valid comparator" in str(caught.value)


# --------------------------------------------------------------------------------------------------------
# Dialect "npm": satisfies (range-include.js / range-exclude.js)
# --------------------------------------------------------------------------------------------------------

NPM_INCLUDE = [
    ("1.0.0 - 2.0.0", "1.2.3"), ("^1.2.3+build", "1.2.3"), ("^1.2.3+build", "1.3.0"),
    ("1.2.3-pre+asdf - 2.4.3-pre+asdf", "1.2.3"), ("1.2.3-pre+asdf - 2.4.3-pre+asdf", "1.2.3-pre.2"),
    ("1.2.3-pre+asdf - 2.4.3-pre+asdf", "2.4.3-alpha"), ("1.2.3+asdf - 2.4.3+asdf", "1.2.3"),
    ("1.0.0", "1.0.0"),
    (">=*", "0.2.4"), ("", "1.0.0"), ("*", "1.2.3"), ("*", "v1.2.3"), (">=1.0.0", "1.0.0"),
    (">=1.0.0", "1.0.1"),
    (">=1.0.0", "1.1.0"), (">1.0.0", "1.0.1"), (">1.0.0", "1.1.0"), ("<=2.0.0", "2.0.0"),
    ("<=2.0.0", "1.9999.9999"), ("<=2.0.0", "0.2.9"), ("<2.0.0", "1.9999.9999"), ("<2.0.0", "0.2.9"),
    (">= 1.0.0", "1.0.0"), (">=  1.0.0", "1.0.1"), (">=   1.0.0", "1.1.0"), ("> 1.0.0", "1.0.1"),
    (">  1.0.0", "1.1.0"), ("<=   2.0.0", "2.0.0"), ("<= 2.0.0", "1.9999.9999"), ("<=  2.0.0", "0.2.9"),
    ("<    2.0.0", "1.9999.9999"), ("<\t2.0.0", "0.2.9"), (">=0.1.97", "v0.1.97"), (">=0.1.97", "0.1.97"),
    ("0.1.20 || 1.2.4", "1.2.4"), (">=0.2.3 || <0.0.1", "0.0.0"), (">=0.2.3 || <0.0.1", "0.2.3"),
    (">=0.2.3 || <0.0.1", "0.2.4"), ("||", "1.3.4"), ("2.x.x", "2.1.3"), ("1.2.x", "1.2.3"),
    ("1.2.x || 2.x", "2.1.3"), ("1.2.x || 2.x", "1.2.3"), ("x", "1.2.3"), ("2.*.*", "2.1.3"),
    ("1.2.*", "1.2.3"),
    ("1.2.* || 2.*", "2.1.3"), ("1.2.* || 2.*", "1.2.3"), ("2", "2.1.2"), ("2.3", "2.3.1"),
    ("~0.0.1", "0.0.1"),
    ("~0.0.1", "0.0.2"), ("~x", "0.0.9"), ("~2", "2.0.9"), ("~2.4", "2.4.0"), ("~2.4", "2.4.5"),
    ("~>3.2.1", "3.2.2"), ("~1", "1.2.3"), ("~>1", "1.2.3"), ("~> 1", "1.2.3"), ("~1.0", "1.0.2"),
    ("~ 1.0", "1.0.2"), ("~ 1.0.3", "1.0.12"), (">=1", "1.0.0"), (">= 1", "1.0.0"), ("<1.2", "1.1.1"),
    ("< 1.2", "1.1.1"), ("~v0.5.4-pre", "0.5.5"), ("~v0.5.4-pre", "0.5.4"), ("=0.7.x", "0.7.2"),
    ("<=0.7.x", "0.7.2"), (">=0.7.x", "0.7.2"), ("<=0.7.x", "0.6.2"), ("~1.2.1 >=1.2.3", "1.2.3"),
    ("~1.2.1 =1.2.3", "1.2.3"), ("~1.2.1 1.2.3", "1.2.3"), ("~1.2.1 >=1.2.3 1.2.3", "1.2.3"),
    ("~1.2.1 1.2.3 >=1.2.3", "1.2.3"), (">=1.2.1 1.2.3", "1.2.3"), ("1.2.3 >=1.2.1", "1.2.3"),
    (">=1.2.3 >=1.2.1", "1.2.3"), (">=1.2.1 >=1.2.3", "1.2.3"), (">=1.2", "1.2.8"), ("^1.2.3", "1.8.1"),
    ("^0.1.2", "0.1.2"), ("^0.1", "0.1.2"), ("^0.0.1", "0.0.1"), ("^1.2", "1.4.2"), ("^1.2 ^1", "1.4.2"),
    ("^1.2.3-alpha", "1.2.3-pre"), ("^1.2.0-alpha", "1.2.0-pre"), ("^0.0.1-alpha", "0.0.1-beta"),
    ("^0.0.1-alpha", "0.0.1"), ("^0.1.1-alpha", "0.1.1-beta"), ("^x", "1.2.3"), ("x - 1.0.0", "0.9.7"),
    ("x - 1.x", "0.9.7"), ("1.0.0 - x", "1.9.7"), ("1.x - x", "1.9.7"), ("<=7.x", "7.9.9"),
    # README: prerelease tags
    (">1.2.3-alpha.3", "1.2.3-alpha.7"), (">1.2.3-alpha.3", "3.4.5"),
    (">=1.2.3-beta.2 <2.0.0", "1.2.3-beta.10"),
    # Kappa leniency: the version side accepts what parse_version accepts
    ("~4.0.0", "4.0"), ("^13.9.0", "13.9.1.27928"),
    # real SPT constraints
    (" 4.0.10 ", "4.0.10"), ("~4.0.0", "4.0.5"), ("~4.0", "4.0.9"), ("~4.0.3", "4.0.3"),
    (">=4.0.2 < 4.0.9", "4.0.8"), ("4.0.11", "4.0.11"), ("~3.11.0", "3.11.4"), ("3.9.0", "3.9.0"),
    (">=4.0.13", "4.0.13"), (">=4.0.13", "4.1.0"),
]

NPM_EXCLUDE = [
    ("1.0.0 - 2.0.0", "2.2.3"), ("1.2.3+asdf - 2.4.3+asdf", "1.2.3-pre.2"),
    ("1.2.3+asdf - 2.4.3+asdf", "2.4.3-alpha"),
    ("^1.2.3+build", "2.0.0"), ("^1.2.3+build", "1.2.0"), ("^1.2.3", "1.2.3-pre"), ("^1.2", "1.2.0-pre"),
    (">1.2", "1.3.0-beta"), ("<=1.2.3", "1.2.3-beta"), ("^1.2.3", "1.2.3-beta"), ("=0.7.x", "0.7.0-asdf"),
    (">=0.7.x", "0.7.0-asdf"), ("1.0.0", "1.0.1"), (">=1.0.0", "0.0.0"), (">=1.0.0", "0.0.1"),
    (">=1.0.0", "0.1.0"), (">1.0.0", "0.0.1"), (">1.0.0", "0.1.0"), ("<=2.0.0", "3.0.0"),
    ("<=2.0.0", "2.9999.9999"), ("<=2.0.0", "2.2.9"), ("<2.0.0", "2.9999.9999"), ("<2.0.0", "2.2.9"),
    (">=0.1.97", "v0.1.93"), (">=0.1.97", "0.1.93"), ("0.1.20 || 1.2.4", "1.2.3"),
    (">=0.2.3 || <0.0.1", "0.0.3"),
    (">=0.2.3 || <0.0.1", "0.2.2"), ("2.x.x", "1.1.3"), ("2.x.x", "3.1.3"), ("1.2.x", "1.3.3"),
    ("1.2.x || 2.x", "3.1.3"), ("1.2.x || 2.x", "1.1.3"), ("2.*.*", "1.1.3"), ("2.*.*", "3.1.3"),
    ("1.2.*", "1.3.3"), ("1.2.* || 2.*", "3.1.3"), ("1.2.* || 2.*", "1.1.3"), ("2", "1.1.2"),
    ("2.3", "2.4.1"),
    ("~0.0.1", "0.1.0-alpha"), ("~0.0.1", "0.1.0"), ("~2.4", "2.5.0"), ("~2.4", "2.3.9"),
    ("~>3.2.1", "3.3.2"),
    ("~>3.2.1", "3.2.0"), ("~1", "0.2.3"), ("~>1", "2.2.3"), ("~1.0", "1.1.0"), ("<1", "1.0.0"),
    (">=1.2", "1.1.1"), ("~v0.5.4-beta", "0.5.4-alpha"), ("=0.7.x", "0.8.2"), (">=0.7.x", "0.6.2"),
    ("<0.7.x", "0.7.2"), ("<1.2.3", "1.2.3-beta"), ("=1.2.3", "1.2.3-beta"), (">1.2", "1.2.8"),
    ("^0.0.1", "0.0.2-alpha"), ("^0.0.1", "0.0.2"), ("^1.2.3", "2.0.0-alpha"), ("^1.2.3", "1.2.2"),
    ("^1.2", "1.1.9"), ("*", "v1.2.3-foo"), ("^1.0.0", "2.0.0-rc1"),
    # README: prerelease tags only match the named major.minor.patch
    (">1.2.3-alpha.3", "3.4.5-alpha.9"), ("^3.11.0", "3.11.5-beta"), (">=1.2", "1.2.0-beta"),
    ("<=4.0", "4.0.0-beta"), (">3.0", "3.0.1-RC1"), ("1.0.0", "1.0.0-beta"),
    # real SPT constraints
    (" 4.0.10 ", "4.0.11"), ("~4.0.0", "4.1.0"), ("~4.0", "4.1.0"), ("~4.0.3", "4.0.2"),
    (">=4.0.2 < 4.0.9", "4.0.9"), ("~3.11.0", "3.12.0"), (">=4.0.13", "4.0.12"), ("~3.11", "3.12.0"),
]


@pytest.mark.parametrize(("constraint", "version"), NPM_INCLUDE)
def test_npm_satisfies(constraint: str, version: str) -> None:
    assert satisfies(version, constraint, "npm") is True


@pytest.mark.parametrize(("constraint", "version"), NPM_EXCLUDE)
def test_npm_does_not_satisfy(constraint: str, version: str) -> None:
    assert satisfies(version, constraint, "npm") is False


@pytest.mark.parametrize("version", ["not a version", "glorp", "1.x.3", ""])
def test_npm_raises_for_unparsable_versions(version: str) -> None:
    # node-semver answers False here; Kappa would rather hear about the bad version.
    with pytest.raises(ValueError, match="invalid version"):
        satisfies(version, "*", "npm")


# --------------------------------------------------------------------------------------------------------
# The two dialects side by side
# --------------------------------------------------------------------------------------------------------

DIALECT_DIFFERENCES = [
    # (version, constraint, composer says, npm says)
    ("3.12.0", "~3.11", True, False),  # composer's ~1.2 is >=1.2 <2.0, npm's is >=1.2 <1.3
    ("1.9.0", "~1", True, True),
    ("3.11.5-beta", "^3.11.0", True, False),  # composer lets prereleases into ranges
    ("1.2.0-beta", ">=1.2", True, False),
    ("4.0.0-beta", "<=4.0", True, False),
    ("3.0.1-RC1", ">3.0", True, False),
    ("2.0.0-beta", "<2.0", False, False),
    ("1.0.0-beta", "1.0.0", False, False),
    ("1.2.3-beta.3", "^1.2.3-beta.2", True, True),
    ("1.2.4-beta.3", "^1.2.3-beta.2", True, False),
    ("4.0.5", "~4.0.0", True, True),
    ("4.5.0", "~4.0", True, False),
    ("2.0.5-beta", "1.0 - 2.0", True, False),
    ("2.1.0-beta", "1.0 - 2.0", False, False),  # composer's upper bound <2.1.0.0-dev stops before 2.1's betas
    ("1.0.0-patch1", ">1.0.0", True, False),  # composer: patch1 is after 1.0.0; npm: a prerelease of 1.0.0
]


@pytest.mark.parametrize(("version", "constraint", "composer", "npm"), DIALECT_DIFFERENCES)
def test_dialects_differ_where_their_references_differ(
    version: str, constraint: str, composer: bool, npm: bool
) -> None:
    assert satisfies(version, constraint, "composer") is composer
    assert satisfies(version, constraint, "npm") is npm


def test_hyphen_ranges_with_partial_upper_bound_agree() -> None:
    for dialect in DIALECTS:
        assert satisfies("2.0.5", "1.0 - 2.0", dialect)
        assert not satisfies("2.1.0", "1.0 - 2.0", dialect)
        assert satisfies("2.1.0", "1.0.0 - 2.1.0", dialect)
        assert not satisfies("2.1.1", "1.0.0 - 2.1.0", dialect)


def test_unknown_dialect_is_an_error() -> None:
    for call in (
        lambda: satisfies("1.0.0", "*", "pep440"),
        lambda: parse_constraint("*", "maven"),
        lambda: max_satisfying(["1.0.0"], "*", "NPM"),
        lambda: constraints_intersect("*", "*", ""),
    ):
        with pytest.raises(ValueError, match="unknown version dialect"):
            call()


# --------------------------------------------------------------------------------------------------------
# parse_constraint's object
# --------------------------------------------------------------------------------------------------------


def test_parsed_constraint_exposes_groups_and_intervals() -> None:
    parsed = parse_constraint("~1.2 || !=3.0.0 >=2.5", "composer")
    assert isinstance(parsed, VersionConstraint)
    assert parsed.dialect == "composer"
    assert parsed.text == "~1.2 || !=3.0.0 >=2.5"
    assert [[str(c) for c in group] for group in parsed.groups] == [
        [">= 1.2.0.0-dev", "< 2.0.0.0-dev"], ["!= 3.0.0.0", ">= 2.5.0.0-dev"],
    ]
    assert [str(i) for i in parsed.intervals] == [
        ">=1.2.0.0-dev <2.0.0.0-dev", ">=2.5.0.0-dev <3.0.0.0", ">3.0.0.0",
    ]
    assert parsed.allows("1.5.0") and parsed.allows("3.0.1") and not parsed.allows("3.0.0")
    assert parsed.allows(Version(2, 6, 0))
    assert not parsed.is_empty


def test_npm_intervals_know_which_prereleases_count() -> None:
    parsed = parse_constraint(">=1.2.3-beta.2 <2.0.0", "npm")
    (interval,) = parsed.intervals
    assert str(interval) == ">=1.2.3-beta.2 <2.0.0"
    assert interval.prerelease_bases == frozenset({(1, 2, 3)})
    assert interval.contains(parse_version("1.2.3-beta.3").precedence_key, (1, 2, 3))
    assert not interval.contains(parse_version("1.2.4-beta.3").precedence_key, (1, 2, 4))
    assert str(parse_constraint("1.2.3", "npm").intervals[0]) == "==1.2.3"


def test_unsatisfiable_constraints_are_empty() -> None:
    assert parse_constraint(">1.2.3 <1.2.4-0", "npm").is_empty  # nothing between 1.2.3 and 1.2.4-0
    assert parse_constraint("<1.0.0 >2.0.0", "npm").is_empty
    assert parse_constraint(">2.0 <1.0", "composer").is_empty
    assert parse_constraint("dev-master", "composer").is_empty
    assert not parse_constraint(">1.2.3 <1.2.4-0", "npm").allows("1.2.4-0")
    assert not parse_constraint(">=1.0.0 <1.0.0", "composer").allows("1.0.0")


def test_parse_constraint_rejects_non_strings() -> None:
    with pytest.raises(TypeError):
        parse_constraint(None, "npm")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------------
# max_satisfying
# --------------------------------------------------------------------------------------------------------


def test_max_satisfying_returns_the_original_string() -> None:
    versions = ["4.0.0", " 4.0.5 ", "v4.0.3", "4.1.0", "4.0.5-beta"]
    assert max_satisfying(versions, "~4.0.0", "npm") == " 4.0.5 "
    assert max_satisfying(versions, "~4.0.0", "composer") == " 4.0.5 "
    assert max_satisfying(versions, "~4.0", "composer") == "4.1.0"
    assert max_satisfying(versions, "~4.0", "npm") == " 4.0.5 "
    assert max_satisfying(versions, ">=5", "npm") is None
    assert max_satisfying([], "*", "npm") is None


def test_max_satisfying_uses_the_dialects_order() -> None:
    # composer ranks patch releases above the plain version; SemVer ranks every prerelease below it.
    assert max_satisfying(["1.0.0", "1.0.0-patch1"], "~1.0", "composer") == "1.0.0-patch1"
    assert max_satisfying(["1.0.0-patch1", "1.0.0"], "*", "npm") == "1.0.0"
    assert max_satisfying(["1.0.0-beta.2", "1.0.0-beta.10"], ">=1.0.0-beta.1", "npm") == "1.0.0-beta.10"
    assert max_satisfying(["1.0.0-beta2", "1.0.0-beta10"], ">=1.0.0-beta1", "composer") == "1.0.0-beta10"


def test_max_satisfying_skips_versions_the_dialect_cannot_read() -> None:
    versions = ["1.0.0", "1.2.0-FikaEnhanced", "garbage", "1.1.0"]
    assert max_satisfying(versions, "^1.0", "composer") == "1.1.0"
    assert max_satisfying(versions, ">=1.2.0-FikaEnhanced", "npm") == "1.2.0-FikaEnhanced"


def test_max_satisfying_keeps_the_first_of_equal_versions() -> None:
    assert max_satisfying(["1.0", "1.0.0", "1.0.0+b"], "*", "npm") == "1.0"
    assert max_satisfying(["1.0.0", "1.0"], "*", "composer") == "1.0.0"


# Semver::satisfiedBy (SemverTest.php)
SATISFIED_BY_VERSIONS = ["1.0", "1.1", "2.9999.9999", "3.0", "3.1", "3.9999.9999", "4.0", "4.1"]

@pytest.mark.parametrize(
    ("constraint", "versions", "expected"),
    [
        ("~1.0", ["1.0", "1.2", "1.9999.9999", "2.0", "2.1", "0.9999.9999"], "1.9999.9999"),
        (">1.0 <3.0 || >=4.0", SATISFIED_BY_VERSIONS, "4.1"),
        (">1.0 <3.0", SATISFIED_BY_VERSIONS, "2.9999.9999"),
        ("^0.2.0", ["0.1.1", "0.1.9999", "0.2.0", "0.2.1", "0.3.0"], "0.2.1"),
    ],
)
def test_max_satisfying_composer_cases(constraint: str, versions: list[str], expected: str) -> None:
    assert max_satisfying(versions, constraint, "composer") == expected


# --------------------------------------------------------------------------------------------------------
# constraints_intersect
# --------------------------------------------------------------------------------------------------------

# node-semver test/fixtures/range-intersection.js
NPM_INTERSECTIONS = [
    ("1.3.0 || <1.0.0 >2.0.0", "1.3.0 || <1.0.0 >2.0.0", True), ("<1.0.0 >2.0.0", ">0.0.0", False),
    (">0.0.0", "<1.0.0 >2.0.0", False), ("<1.0.0 >2.0.0", ">1.4.0 <1.6.0", False),
    ("<1.0.0 >2.0.0", ">1.4.0 <1.6.0 || 2.0.0", False), (">1.0.0 <=2.0.0", "2.0.0", True),
    ("<1.0.0 >=2.0.0", "2.1.0", False), ("<1.0.0 >=2.0.0", ">1.4.0 <1.6.0 || 2.0.0", False),
    ("1.5.x", "<1.5.0 || >=1.6.0", False), ("<1.5.0 || >=1.6.0", "1.5.x", False),
    ("<1.6.16 || >=1.7.0 <1.7.11 || >=1.8.0 <1.8.2", ">=1.6.16 <1.7.0 || >=1.7.11 <1.8.0 || >=1.8.2", False),
    ("<=1.6.16 || >=1.7.0 <1.7.11 || >=1.8.0 <1.8.2", ">=1.6.16 <1.7.0 || >=1.7.11 <1.8.0 || >=1.8.2", True),
    (">=1.0.0", "<=1.0.0", True), (">1.0.0 <1.0.0", "<=0.0.0", False), ("*", "0.0.1", True),
    ("*", ">=1.0.0", True),
    ("*", ">1.0.0", True), ("*", "~1.0.0", True), ("*", "<1.6.0", True), ("*", "<=1.6.0", True),
    ("1.*", "0.0.1", False), ("1.*", "2.0.0", False), ("1.*", "1.0.0", True), ("1.*", "<2.0.0", True),
    ("1.*", ">1.0.0", True), ("1.*", "<=1.0.0", True), ("1.*", "^1.0.0", True), ("1.0.*", "0.0.1", False),
    ("1.0.*", "<0.0.1", False), ("1.0.*", ">0.0.1", True), ("*", "1.3.0 || <1.0.0 >2.0.0", True),
    ("1.3.0 || <1.0.0 >2.0.0", "*", True), ("1.*", "1.3.0 || <1.0.0 >2.0.0", True), ("x", "0.0.1", True),
    ("x", ">=1.0.0", True), ("x", ">1.0.0", True), ("x", "~1.0.0", True), ("x", "<1.6.0", True),
    ("x", "<=1.6.0", True), ("1.x", "0.0.1", False), ("1.x", "2.0.0", False), ("1.x", "1.0.0", True),
    ("1.x", "<2.0.0", True), ("1.x", ">1.0.0", True), ("1.x", "<=1.0.0", True), ("1.x", "^1.0.0", True),
    ("1.0.x", "0.0.1", False), ("1.0.x", "<0.0.1", False), ("1.0.x", ">0.0.1", True),
    ("x", "1.3.0 || <1.0.0 >2.0.0", True), ("1.3.0 || <1.0.0 >2.0.0", "x", True),
    ("1.x", "1.3.0 || <1.0.0 >2.0.0", True), ("*", "*", True), ("x", "", True),
    # Kappa's own cases
    ("^1.3.0", "~1.2.0", False), ("^1.2.0", "~1.2.5", True), (">1.2.3", "<1.2.4-0", False),
    (">=1.2.3-beta.1", "<1.2.3-beta.1", False),
    # a prerelease counts only if both sides allow its base: 1.2.3-beta.2 satisfies ">=1.2.3-beta.1", but
    # "<1.2.3" names no prerelease of 1.2.3, so it rejects every 1.2.3-x
    (">=1.2.3-beta.1", "<1.2.3", False), (">=1.2.3-beta <1.2.3", ">1.0.0 <1.2.3", False),
    (">=1.2.3-beta <1.2.3", ">1.0.0 <1.2.3-rc", True),
    (">=1.2.3-beta <1.2.3", ">=1.2.3-alpha <1.2.3-rc", True), (">1.2.3-beta <1.2.3-beta.0", "*", False),
    ("~4.0.0", "~4.0", True), ("~3.11.0", "~4.0", False), (">=4.0.2 < 4.0.9", "4.0.11", False),
]


@pytest.mark.parametrize(("a", "b", "expected"), NPM_INTERSECTIONS)
def test_npm_constraints_intersect(a: str, b: str, expected: bool) -> None:
    assert constraints_intersect(a, b, "npm") is expected
    assert constraints_intersect(b, a, "npm") is expected


COMPOSER_INTERSECTIONS = [
    ("^1.2", "~1.2.5", True), ("^1.3.0", "~1.2.0", False), ("~3.11", "~3.12.0", True),
    ("~3.11.0", "~3.12.0", False),
    ("<2.0", "2.0.0-beta", False), ("<=2.0", "2.0.0-beta", True), (">=1.0 <1.5", ">=1.5", False),
    (">=1.0 <=1.5", ">=1.5", True), ("!=1.5.0", "1.5.0", False), ("!=1.5.0", "1.5.*", True),
    ("1.0.0 || 2.0.0", "2.0.0 || 3.0.0", True), ("1.0.0 || 2.0.0", ">2.0 <3.0", False), ("*", "4.0.10", True),
    ("dev-master", "*", False), (" 4.0.10 ", ">=4.0.2 < 4.0.9", False), ("~4.0", ">=4.0.13", True),
]


@pytest.mark.parametrize(("a", "b", "expected"), COMPOSER_INTERSECTIONS)
def test_composer_constraints_intersect(a: str, b: str, expected: bool) -> None:
    assert constraints_intersect(a, b, "composer") is expected
    assert constraints_intersect(b, a, "composer") is expected


def test_constraints_intersect_rejects_bad_constraints() -> None:
    with pytest.raises(ValueError, match="invalid npm range"):
        constraints_intersect("1.2.3, 1.2.4", "*", "npm")
    with pytest.raises(ValueError, match="invalid composer constraint"):
        constraints_intersect("*", "~>1.0", "composer")
