"""Version parsing and constraint matching, in the two dialects an SPT install is judged by.

Kappa has to answer "does version X satisfy constraint Y?" the way two other programs answer it, because
each of them has the last word on half of the ecosystem:

* ``"composer"``: the Forge stores every mod version with its SPT and dependency constraints and evaluates
  them with composer/semver 3.4 (``VersionParser::parseConstraints`` plus ``Constraint::matches``). What
  the Forge calls compatible is what users are offered, so Kappa has to agree with it.
* ``"npm"``: the SPT server checks ``SptVersion`` and ``ModDependencies`` when it loads a mod, using the C#
  SemanticVersioning package, a port of node-semver (strict parsing, prereleases excluded unless opted in).
  If the server refuses a mod, it does not load, whatever the Forge said.

The dialects differ where it matters: ``~3.11`` means ``<4.0`` for composer but ``<3.12`` for npm. Composer
counts a prerelease inside a range as a match; npm does not unless the range names a prerelease of that
exact version. So each dialect is a line-by-line port of its reference parser rather than one shared
grammar with flags. The ports keep the references' quirks, because a "fixed" answer would be a wrong
prediction.

A parsed constraint keeps two views:

* ``groups``: the comparators the reference produces. ``str()`` prints them the way the reference prints
  its own parse, so an explanation can be checked against the real tool.
* ``intervals``: the same set as a union of version intervals. ``constraints_intersect`` needs this form.

Versions themselves are lenient (see :func:`parse_version`), because mod authors write ``1.2``,
``v1.2.3`` and four-part .NET file versions. The leniency is the same in both dialects, so a version
string always means the same version in Kappa; the dialect decides only how constraints read and which
prerelease labels are allowed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "DIALECTS",
    "Bound",
    "Comparator",
    "Version",
    "VersionConstraint",
    "VersionInterval",
    "constraints_intersect",
    "max_satisfying",
    "parse_constraint",
    "parse_version",
    "satisfies",
]

DIALECTS = ("composer", "npm")

# An order key: a tuple that sorts the way the dialect orders versions (see _php_version_key and
# Version.precedence_key). Keys from different dialects are never compared with each other.
Key = tuple

# ----------------------------------------------------------------------------------------------------------
# Version: Kappa's own lenient reading of a version string, ordered by SemVer 2.0 precedence.
# ----------------------------------------------------------------------------------------------------------

_DIGITS = re.compile(r"[0-9]+")
_IDENTIFIER = re.compile(r"[0-9A-Za-z-]+")


@functools.total_ordering
@dataclass(frozen=True, eq=False)
class Version:
    """A release version, ordered by SemVer 2.0 precedence.

    Build metadata is kept for display but ignored by ``==``, ``<`` and ``hash``, as SemVer requires and as
    both reference implementations do. ``Version(1, 0, 0, build=("a",)) == Version(1, 0, 0)`` is True.
    Compare ``str()`` to tell such versions apart.
    """

    major: int
    minor: int
    patch: int
    prerelease: tuple[str | int, ...] = ()
    build: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("major", "minor", "patch"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"Version.{name} must be a non-negative int, got {value!r}")
        for identifier in self.prerelease:
            _check_prerelease_identifier(identifier)
        for identifier in self.build:
            if not isinstance(identifier, str) or not _IDENTIFIER.fullmatch(identifier):
                raise ValueError(f"invalid build identifier {identifier!r}")

    @property
    def is_prerelease(self) -> bool:
        return bool(self.prerelease)

    @property
    def base(self) -> tuple[int, int, int]:
        """``(major, minor, patch)``: npm's prerelease rule compares versions on this tuple."""
        return (self.major, self.minor, self.patch)

    @functools.cached_property
    def precedence_key(self) -> Key:
        """A tuple that sorts exactly like SemVer 2.0 precedence (section 11 of the spec)."""
        if not self.prerelease:
            # A release sorts after every prerelease of the same major.minor.patch.
            return (self.major, self.minor, self.patch, (1,))
        # Numeric identifiers sort numerically and before alphanumeric ones, which sort as ASCII text.
        # When one list is a prefix of the other, the shorter sorts first, as Python tuples do.
        identifiers = tuple((0, i, "") if isinstance(i, int) else (1, 0, i) for i in self.prerelease)
        return (self.major, self.minor, self.patch, (0, *identifiers))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.precedence_key == other.precedence_key

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.precedence_key < other.precedence_key

    def __hash__(self) -> int:
        return hash(self.precedence_key)

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(str(i) for i in self.prerelease)
        if self.build:
            text += "+" + ".".join(self.build)
        return text

    def without_build(self) -> Version:
        return Version(self.major, self.minor, self.patch, self.prerelease)


def _check_prerelease_identifier(identifier: object) -> None:
    if isinstance(identifier, bool):
        raise ValueError(f"invalid prerelease identifier {identifier!r}")
    if isinstance(identifier, int):
        if identifier < 0:
            raise ValueError(f"invalid prerelease identifier {identifier!r}")
        return
    if not isinstance(identifier, str) or not _IDENTIFIER.fullmatch(identifier):
        raise ValueError(f"invalid prerelease identifier {identifier!r}")
    if _DIGITS.fullmatch(identifier):
        # Numeric identifiers are ints. Otherwise Version(1, 0, 0, ("2",)) would sort as text.
        raise ValueError(f"numeric prerelease identifier {identifier!r} must be given as an int")


def parse_version(text: str) -> Version:
    """Read a version string the way SPT mods actually write them.

    Accepted beyond strict SemVer 2.0, because real mod metadata contains all of these:

    * surrounding whitespace and a leading ``v``/``V``;
    * one- and two-part versions: ``1`` is 1.0.0 and ``1.2`` is 1.2.0;
    * leading zeros in the numeric parts (``2024.01.15`` is 2024.1.15), for date-like versions;
    * four-part .NET file versions: the revision becomes the first build-metadata identifier, as the Forge
      does on import, so ``13.9.1.27928`` is ``13.9.1+27928``. A ``.0`` revision is dropped instead
      (``1.2.3.0`` is ``1.2.3``), because assembly versions almost always end in ``.0`` and ``+0`` would
      only add noise. The revision never affects precedence.

    Prerelease identifiers follow SemVer: ``[0-9A-Za-z-]+``, and numeric ones have no leading zero.
    Otherwise ``beta.01`` would be ambiguous between 1 and the text "01".

    Raises ValueError whose message quotes the input and names the bad part.
    """
    return _parse_version_detail(text)[0]


def _version_error(text: str, reason: str) -> ValueError:
    return ValueError(f"invalid version {text!r}: {reason}")


def _parse_version_detail(text: str) -> tuple[Version, bool]:
    """Parse like :func:`parse_version`, and also say whether the input had a fourth (revision) part."""
    if not isinstance(text, str):
        raise TypeError(f"version must be a str, not {type(text).__name__}")
    body = text.strip()
    if not body:
        raise _version_error(text, "it is empty")
    if body[0] in "vV":
        body = body[1:]
    main, has_build, build_text = body.partition("+")
    core_text, has_prerelease, prerelease_text = main.partition("-")
    numbers = _parse_core(text, core_text)
    prerelease = _parse_prerelease(text, prerelease_text) if has_prerelease else ()
    build = _parse_build(text, build_text) if has_build else ()
    if len(numbers) == 4:
        revision = numbers.pop()
        if revision:
            build = (str(revision), *build)
        return Version(*numbers, prerelease, build), True
    numbers += [0] * (3 - len(numbers))
    return Version(*numbers, prerelease, build), False


def _parse_core(text: str, core_text: str) -> list[int]:
    parts = core_text.split(".")
    if len(parts) > 4:
        raise _version_error(text, f"{core_text!r} has {len(parts)} numeric parts, at most 4 are allowed")
    numbers = []
    for part in parts:
        if not part:
            raise _version_error(text, "a numeric part is empty")
        if not _DIGITS.fullmatch(part):
            raise _version_error(text, f"{part!r} is not a number")
        numbers.append(int(part))
    return numbers


def _parse_prerelease(text: str, prerelease_text: str) -> tuple[str | int, ...]:
    identifiers: list[str | int] = []
    for part in prerelease_text.split("."):
        if not part:
            raise _version_error(text, f"prerelease {prerelease_text!r} has an empty identifier")
        if not _IDENTIFIER.fullmatch(part):
            raise _version_error(text, f"{part!r} is not a valid prerelease identifier")
        if _DIGITS.fullmatch(part):
            if len(part) > 1 and part[0] == "0":
                raise _version_error(text, f"numeric prerelease identifier {part!r} has a leading zero")
            identifiers.append(int(part))
        else:
            identifiers.append(part)
    return tuple(identifiers)


def _parse_build(text: str, build_text: str) -> tuple[str, ...]:
    parts = build_text.split(".")
    for part in parts:
        if not part:
            raise _version_error(text, f"build metadata {build_text!r} has an empty identifier")
        if not _IDENTIFIER.fullmatch(part):
            raise _version_error(text, f"{part!r} is not a valid build metadata identifier")
    return tuple(parts)


# ----------------------------------------------------------------------------------------------------------
# The shared model of a parsed constraint: comparators (the reference's view) and intervals (the math view).
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparator:
    """One primitive test produced by a dialect's parser.

    ``op`` is one of ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, or ``*`` (anything). ``version`` is the
    bound as the reference normalised it: ``1.2.0.0-dev`` in composer, ``1.3.0-0`` in npm, ``""`` for ``*``.
    """

    dialect: str
    op: str
    version: str
    key: Key | None  # order key of `version`; None for `*` and for composer branch names (dev-*)
    semver: Version | None = None  # npm only: the bound as a Version, for the prerelease rule

    def __str__(self) -> str:
        if self.op == "*":
            return "*" if self.dialect == "composer" else ""
        if self.dialect == "composer":
            return f"{self.op} {self.version}"  # composer's Constraint::__toString
        return ("" if self.op == "==" else self.op) + self.version  # node-semver's Comparator.value


@dataclass(frozen=True)
class Bound:
    """One end of a :class:`VersionInterval`."""

    version: str  # the dialect's text for the bound
    key: Key
    inclusive: bool
    semver: Version | None = None  # npm only


@dataclass(frozen=True)
class VersionInterval:
    """A run of consecutive versions, ``lower``..``upper``. ``None`` on either end means unbounded.

    ``prerelease_bases`` is how npm's prerelease rule fits in here. A prerelease version counts only if its
    ``(major, minor, patch)`` is in this set, that is, only if some comparator of the same comparator set
    named a prerelease of that exact version. Composer has no such rule, and uses ``None`` for "every
    version in the interval counts".
    """

    lower: Bound | None = None
    upper: Bound | None = None
    prerelease_bases: frozenset[tuple[int, int, int]] | None = None

    def __str__(self) -> str:
        if self.lower is not None and self.upper is not None and self.lower.key == self.upper.key:
            return f"=={self.lower.version}"
        parts = []
        if self.lower is not None:
            parts.append((">=" if self.lower.inclusive else ">") + self.lower.version)
        if self.upper is not None:
            parts.append(("<=" if self.upper.inclusive else "<") + self.upper.version)
        return " ".join(parts) or "*"

    def contains(self, key: Key, prerelease_base: tuple[int, int, int] | None = None) -> bool:
        """Whether the version with order ``key`` is in the interval.

        ``prerelease_base`` is the base of a prerelease version (npm). Pass None for a release, or for any
        composer version.
        """
        if not (_above_lower(key, self.lower) and _below_upper(key, self.upper)):
            return False
        if prerelease_base is None or self.prerelease_bases is None:
            return True
        return prerelease_base in self.prerelease_bases

    def intersect(self, other: VersionInterval) -> VersionInterval | None:
        """The versions in both intervals, or None when no version is in both."""
        result = VersionInterval(
            _max_lower(self.lower, other.lower),
            _min_upper(self.upper, other.upper),
            _intersect_bases(self.prerelease_bases, other.prerelease_bases),
        )
        return None if result.is_empty() else result

    def is_empty(self) -> bool:
        if self.prerelease_bases is None:
            return not self._is_dense_nonempty()
        return self._npm_witness() is None

    def _is_dense_nonempty(self) -> bool:
        # Composer's version space is treated as dense. There is a normalised version between any two
        # different ones (1.0.0.0 < 1.0.0.0-patch-dev < 1.0.0.0-patch), apart from corner cases nobody
        # writes constraints around.
        if self.lower is None or self.upper is None:
            return True
        if self.lower.key != self.upper.key:
            return self.lower.key < self.upper.key
        return self.lower.inclusive and self.upper.inclusive

    def _npm_witness(self) -> Version | None:
        """The smallest version npm would accept in this interval, or None if there is none.

        The semver space is not dense (nothing lies between 1.2.3 and 1.2.4-0), and prereleases count
        only for the allowed bases. So a real candidate is searched for: the first release at or above
        the lower bound, then the first prerelease of each allowed base.
        """
        candidates = [_first_release_from(self.lower)]
        bases = sorted(self.prerelease_bases or ())
        candidates += [_first_prerelease_from(base, self.lower) for base in bases]
        found = [c for c in candidates if c is not None and _below_upper(c.precedence_key, self.upper)]
        return min(found) if found else None


def _above_lower(key: Key, lower: Bound | None) -> bool:
    return lower is None or key > lower.key or (key == lower.key and lower.inclusive)


def _below_upper(key: Key, upper: Bound | None) -> bool:
    return upper is None or key < upper.key or (key == upper.key and upper.inclusive)


def _max_lower(a: Bound | None, b: Bound | None) -> Bound | None:
    if a is None or b is None:
        return b if a is None else a
    if a.key != b.key:
        return a if a.key > b.key else b
    return a if not a.inclusive else b  # at the same version the exclusive bound is the tighter one


def _min_upper(a: Bound | None, b: Bound | None) -> Bound | None:
    if a is None or b is None:
        return b if a is None else a
    if a.key != b.key:
        return a if a.key < b.key else b
    return a if not a.inclusive else b


def _intersect_bases(a: frozenset | None, b: frozenset | None) -> frozenset | None:
    # A prerelease is in A∩B if both A's and B's comparator sets allow its base.
    if a is None or b is None:
        return b if a is None else a
    return a & b


def _first_release_from(lower: Bound | None) -> Version:
    if lower is None or lower.semver is None:
        return Version(0, 0, 0)
    bound = lower.semver
    if bound.is_prerelease:  # 1.2.3 is the first release above every 1.2.3-x
        return Version(*bound.base)
    return Version(*bound.base) if lower.inclusive else Version(bound.major, bound.minor, bound.patch + 1)


def _first_prerelease_from(base: tuple[int, int, int], lower: Bound | None) -> Version | None:
    lowest = Version(*base, (0,))  # X.Y.Z-0 sorts before every other prerelease of X.Y.Z
    if lower is None or lower.semver is None or lower.key < lowest.precedence_key:
        return lowest
    bound = lower.semver
    if bound.base != base or not bound.is_prerelease:
        return None  # the lower bound is at or past X.Y.Z itself
    if lower.inclusive:
        return bound.without_build()
    # The next prerelease after P is P.0: anything greater either extends P (P.0 is the least extension)
    # or differs earlier, and then it is greater than P.0 too.
    return Version(*base, (*bound.prerelease, 0))


@dataclass(frozen=True)
class VersionConstraint:
    """A parsed constraint: an OR of AND-groups of :class:`Comparator` and, equivalently, a union of
    :class:`VersionInterval`.

    ``str()`` gives the reference implementation's own rendering of its parse. For composer that is
    ``(string) $parser->parseConstraints($text)``, for example ``[>= 1.2.0.0-dev < 2.0.0.0-dev]``. For npm
    it is ``new Range(text).range`` (``>=1.2.0 <1.3.0-0``), with ``*`` for "any version" and ``||`` between
    sets.
    """

    text: str
    dialect: str
    groups: tuple[tuple[Comparator, ...], ...]
    intervals: tuple[VersionInterval, ...]  # empty intervals are left out; () means nothing matches

    def __str__(self) -> str:
        if self.dialect == "composer":
            return _composer_render(self.groups)
        return _npm_render(self.groups)

    @property
    def is_empty(self) -> bool:
        """True when no version can satisfy the constraint (for example npm's ``>1.2.3 <1.2.4-0``)."""
        return not self.intervals

    def allows(self, version: str | Version) -> bool:
        """Whether ``version`` satisfies the constraint. Raises ValueError for an unparsable version."""
        key, prerelease_base = _version_point(str(version), self.dialect)
        return any(interval.contains(key, prerelease_base) for interval in self.intervals)


def _check_dialect(dialect: str) -> str:
    if dialect not in DIALECTS:
        raise ValueError(f"unknown version dialect {dialect!r}; expected 'composer' or 'npm'")
    return dialect


def _version_point(version: str, dialect: str) -> tuple[Key, tuple[int, int, int] | None]:
    """The order key of ``version`` in ``dialect``, plus its base when npm's prerelease rule applies."""
    if dialect == "composer":
        return _php_version_key(_composer_normalize_version(version)), None
    parsed = parse_version(version)
    return parsed.precedence_key, (parsed.base if parsed.is_prerelease else None)


def _intervals_of_group(comparators: Sequence[Comparator], dialect: str) -> list[VersionInterval]:
    """The AND of a comparator group, as a union of non-empty intervals."""
    pieces = [VersionInterval()]
    for comparator in comparators:
        pieces = [
            joined
            for piece in pieces
            for part in _intervals_of_comparator(comparator)
            if (joined := _join_unchecked(piece, part)) is not None
        ]
    if dialect == "npm":
        # node-semver's testSet: a prerelease passes only if some comparator of this same set names a
        # prerelease of the same major.minor.patch.
        bases = frozenset(c.semver.base for c in comparators if c.semver and c.semver.is_prerelease)
        pieces = [VersionInterval(p.lower, p.upper, bases) for p in pieces]
    return [p for p in pieces if not p.is_empty()]


def _join_unchecked(a: VersionInterval, b: VersionInterval) -> VersionInterval | None:
    # Inside a group, npm emptiness can only be judged once the group's prerelease bases are known, so
    # only the cheap ordering check is done here.
    joined = VersionInterval(_max_lower(a.lower, b.lower), _min_upper(a.upper, b.upper), None)
    return joined if joined._is_dense_nonempty() else None


def _intervals_of_comparator(comparator: Comparator) -> list[VersionInterval]:
    if comparator.op == "*":
        return [VersionInterval()]
    if comparator.key is None:
        # A composer branch name (dev-foo). Constraint::versionCompare never lets a branch match a numbered
        # version, except through != .
        return [VersionInterval()] if comparator.op == "!=" else []
    inclusive = Bound(comparator.version, comparator.key, True, comparator.semver)
    exclusive = Bound(comparator.version, comparator.key, False, comparator.semver)
    if comparator.op == "==":
        return [VersionInterval(inclusive, inclusive)]
    if comparator.op == "!=":
        return [VersionInterval(None, exclusive), VersionInterval(exclusive, None)]
    if comparator.op in ("<", "<="):
        return [VersionInterval(None, inclusive if comparator.op == "<=" else exclusive)]
    return [VersionInterval(inclusive if comparator.op == ">=" else exclusive, None)]


# ----------------------------------------------------------------------------------------------------------
# Public functions
# ----------------------------------------------------------------------------------------------------------


def parse_constraint(text: str, dialect: str = "composer") -> VersionConstraint:
    """Parse ``text`` as ``dialect`` (``"composer"`` or ``"npm"``).

    Raises ValueError for an unknown dialect, or for a constraint the reference would reject. The message
    names the part that failed.
    """
    if not isinstance(text, str):
        raise TypeError(f"constraint must be a str, not {type(text).__name__}")
    return _parse_constraint_cached(text, _check_dialect(dialect))


@functools.lru_cache(maxsize=2048)
def _parse_constraint_cached(text: str, dialect: str) -> VersionConstraint:
    groups = _composer_parse_constraints(text) if dialect == "composer" else _npm_parse_range(text)
    intervals = tuple(i for group in groups for i in _intervals_of_group(group, dialect))
    return VersionConstraint(text, dialect, groups, intervals)


def satisfies(version: str, constraint: str, dialect: str = "composer") -> bool:
    """Whether ``version`` satisfies ``constraint`` according to ``dialect``.

    Raises ValueError if the version or the constraint cannot be parsed. (node-semver would quietly answer
    False for a bad version. Kappa wants to know.)
    """
    return parse_constraint(constraint, dialect).allows(version)


def meets_declared(version: str, constraint: str) -> bool:
    """Whether an installed version meets a dependency a mod declares. Mods write npm ranges (SPT server mods) or
    composer-style ones; a constraint (or version) neither dialect reads blocks nothing: not ours to enforce."""
    for dialect in ("npm", "composer"):
        try:
            return satisfies(version, constraint, dialect)
        except ValueError:
            continue
    return True


def max_satisfying(versions: Iterable[str], constraint: str, dialect: str = "composer") -> str | None:
    """The highest of ``versions`` that satisfies ``constraint``, returned exactly as given, or None.

    "Highest" is the dialect's own order: composer's, in which ``1.0.0-patch1`` is above ``1.0.0``, or
    SemVer precedence. Versions the dialect cannot parse are skipped, as node-semver's maxSatisfying does,
    so one odd label does not hide the rest. For equal versions (``1.0`` and ``1.0.0``) the first wins.
    """
    parsed = parse_constraint(constraint, dialect)
    best: tuple[Key, str] | None = None
    for version in versions:
        try:
            key, prerelease_base = _version_point(version, parsed.dialect)
        except ValueError:
            continue
        if not any(i.contains(key, prerelease_base) for i in parsed.intervals):
            continue
        if best is None or key > best[0]:
            best = (key, version)
    return None if best is None else best[1]


def constraints_intersect(a: str, b: str, dialect: str = "composer") -> bool:
    """Whether some single version satisfies both ``a`` and ``b``.

    npm is exact, including the prerelease rule. A prerelease counts only if both constraints allow its
    base, and the gaps of the semver order are respected: ``>1.2.3`` and ``<1.2.4-0`` do not intersect.
    Composer treats its version order as dense, so two bounds that differ always leave room for a
    version. In theory that can claim a version between two normalised versions that are adjacent; no
    real constraint is written that way.
    """
    first = parse_constraint(a, dialect)
    second = parse_constraint(b, dialect)
    return any(x.intersect(y) is not None for x in first.intervals for y in second.intervals)


# ----------------------------------------------------------------------------------------------------------
# Dialect "composer": a port of composer/semver 3.4 (src/VersionParser.php, src/Constraint/Constraint.php)
# and of PHP's version_compare(), which Constraint uses to compare normalised versions.
# ----------------------------------------------------------------------------------------------------------

_RE_FLAGS = re.ASCII  # PCRE without /u: \d and \s are ASCII only
_MODIFIER = r"[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*+)?)?([.-]?dev)?"
_STABILITIES = "stable|RC|beta|alpha|dev"

_C_ALIAS = re.compile(r"^([^,\s]++) ++as ++([^,\s]++)$", _RE_FLAGS)
_C_STABILITY_FLAG = re.compile(rf"@(?:{_STABILITIES})$", _RE_FLAGS | re.I)
_C_BUILD = re.compile(r"^([^,\s+]++)\+[^\s]++$", _RE_FLAGS)
_C_CLASSICAL = re.compile(rf"^v?(\d{{1,5}})(\.\d++)?(\.\d++)?(\.\d++)?{_MODIFIER}$", _RE_FLAGS | re.I)
_C_DATE = re.compile(
    rf"^v?(\d{{4}}(?:[.:-]?\d{{2}}){{1,6}}(?:[.:-]?\d{{1,3}})?){_MODIFIER}$", _RE_FLAGS | re.I
)
_C_DEV_SUFFIX = re.compile(r"(.*?)[.-]?dev$", _RE_FLAGS | re.I)
_C_BRANCH = re.compile(
    r"^v?(\d++)(\.(?:\d++|[xX*]))?(\.(?:\d++|[xX*]))?(\.(?:\d++|[xX*]))?$", _RE_FLAGS | re.I
)
_C_STABILITY_OF = re.compile(rf"{_MODIFIER}(?:\+.*)?$", _RE_FLAGS | re.I)

_C_OR_SPLIT = re.compile(r"\s*\|\|?\s*", _RE_FLAGS)
# PCRE's (?<!^|as|[=>< ,]) written as three fixed-width lookbehinds, which Python requires.
_C_AND_SPLIT = re.compile(r"(?<!^)(?<!as)(?<![=>< ,]) *(?<!-)[, ](?!-) *(?!,|as|$)", _RE_FLAGS)
_C_FLAG_SUFFIX = re.compile(rf"^([^,\s]*?)@({_STABILITIES})$", _RE_FLAGS | re.I)
_C_REF = re.compile(r"^(dev-[^,\s@]+?|[^,\s@]+?\.x-dev)#.+$", _RE_FLAGS | re.I)
_C_ANY = re.compile(r"^(v)?[xX*](\.[xX*])*$", _RE_FLAGS | re.I)
_C_VERSION = rf"v?(\d++)(?:\.(\d++))?(?:\.(\d++))?(?:\.(\d++))?(?:{_MODIFIER}|\.([xX*][.-]?dev))(?:\+[^\s]+)?"
_C_TILDE = re.compile(rf"^~>?{_C_VERSION}$", _RE_FLAGS | re.I)
_C_CARET = re.compile(rf"^\^{_C_VERSION}($)", _RE_FLAGS | re.I)
_C_XRANGE = re.compile(r"^v?(\d++)(?:\.(\d++))?(?:\.(\d++))?(?:\.[xX*])++$", _RE_FLAGS)
_C_HYPHEN = re.compile(rf"^(?P<from>{_C_VERSION}) +- +(?P<to>{_C_VERSION})($)", _RE_FLAGS | re.I)
_C_BASIC = re.compile(r"^(<>|!=|>=?|<=?|==?)?\s*(.*)", _RE_FLAGS)
_C_HAS_MODIFIER = re.compile(rf"-{_MODIFIER}$", _RE_FLAGS)  # case-sensitive in composer too
_C_DEV_NAME = re.compile(r"^[0-9a-zA-Z-./]+$", _RE_FLAGS)

_COMPOSER_LABELS = "stable, RC, beta/b, alpha/a, patch/pl/p (each optionally followed by numbers) and dev"


def _php_trim(text: str) -> str:
    return text.strip(" \t\n\r\0\x0b")


def _php_empty(value: str | None) -> bool:
    # PHP's empty(): null, "" and "0" are all empty.
    return value is None or value in ("", "0")


def _composer_normalize(version: str) -> str:
    """VersionParser::normalize: ``1.2`` to ``1.2.0.0``, ``1.0.0-b2`` to ``1.0.0.0-beta2``, ``1.x-dev`` to
    ``1.9999999.9999999.9999999-dev``, branch names to ``dev-name``."""
    version = _php_trim(version)
    original = version
    if match := _C_ALIAS.match(version):
        version = match.group(1)
    if match := _C_STABILITY_FLAG.search(version):
        version = version[: len(version) - len(match.group(0))]
    if version in ("master", "trunk", "default"):
        version = "dev-" + version
    if version[:4].lower() == "dev-":
        return "dev-" + version[4:]
    if match := _C_BUILD.match(version):
        version = match.group(1)
    normalized = _composer_normalize_numbered(version)
    if normalized is not None:
        return normalized
    if match := _C_DEV_SUFFIX.search(version):
        branch = _composer_normalize_branch(match.group(1))
        if "dev-" not in branch:  # only numeric branches (1.x-dev) are versions
            return branch
    raise ValueError(f'Invalid version string "{original}"')


def _composer_normalize_numbered(version: str) -> str | None:
    if match := _C_CLASSICAL.match(version):
        groups = match.groups()
        text = groups[0] + "".join(part or ".0" for part in groups[1:4])
        index = 4
    elif match := _C_DATE.match(version):
        groups = match.groups()
        text = re.sub(r"\D", ".", groups[0], flags=_RE_FLAGS)
        index = 1
    else:
        return None
    stability, numbers, dev = groups[index], groups[index + 1], groups[index + 2]
    if not _php_empty(stability):
        if stability == "stable":  # case-sensitive, as in composer: "1.0-STABLE" becomes 1.0.0.0-stable
            return text
        text += "-" + _composer_expand_stability(stability) + (numbers.lstrip(".-") if numbers else "")
    if not _php_empty(dev):
        text += "-dev"
    return text


def _composer_expand_stability(stability: str) -> str:
    stability = stability.lower()
    return {"a": "alpha", "b": "beta", "p": "patch", "pl": "patch", "rc": "RC"}.get(stability, stability)


def _composer_normalize_branch(name: str) -> str:
    """VersionParser::normalizeBranch: ``2.1.x`` to ``2.1.9999999.9999999-dev``, anything else to dev-name."""
    name = _php_trim(name)
    match = _C_BRANCH.match(name)
    if not match:
        return "dev-" + name
    version = match.group(1) + "".join(part.replace("*", "x").replace("X", "x") if part else ".x"
                                       for part in match.groups()[1:])
    return version.replace("x", "9999999") + "-dev"


def _composer_parse_stability(version: str) -> str:
    """VersionParser::parseStability, used for the ``@beta``-style flags."""
    version = re.sub(r"#.+$", "", version, flags=_RE_FLAGS)
    if version.startswith("dev-") or version.endswith("-dev"):
        return "dev"
    match = _C_STABILITY_OF.search(version.lower())
    if match and not _php_empty(match.group(3)):
        return "dev"
    stability = match.group(1) if match else None
    if stability in ("beta", "b"):
        return "beta"
    if stability in ("alpha", "a"):
        return "alpha"
    if stability == "rc":
        return "RC"
    return "stable"


def _composer_normalize_version(text: str) -> str:
    """Normalise a *version* (not a constraint) for comparison, applying the Forge's import rules first.

    The Forge turns a four-part file version into build metadata before composer sees it (``1.2.3.4`` is
    stored as ``1.2.3+4``), so such input goes through :func:`parse_version` first. Anything else is given
    to composer as written, so composer-only spellings like ``1.0.0RC1`` still work. Composer refuses
    prerelease labels outside its short list; that is why the Forge unpublished versions like
    ``1.0.0-FikaEnhanced``, and why they raise here.
    """
    semver_error: ValueError | None = None
    try:
        version, had_revision = _parse_version_detail(text)
    except ValueError as error:
        version, had_revision, semver_error = None, False, error
    source = str(version) if version is not None and had_revision else text
    try:
        normalized = _composer_normalize(source)
    except ValueError as error:
        if semver_error is not None:
            raise semver_error from None
        if version is not None and version.is_prerelease:
            label = ".".join(str(i) for i in version.prerelease)
            raise ValueError(
                f"invalid version {text!r} for composer: composer cannot parse the prerelease label "
                f"{label!r} (it only knows {_COMPOSER_LABELS})"
            ) from None
        raise ValueError(f"invalid version {text!r} for composer: {error}") from None
    if normalized.startswith("dev-"):
        raise ValueError(f"invalid version {text!r}: {normalized!r} is a composer branch name, not a release")
    return normalized


# --- PHP version_compare -----------------------------------------------------------------------------------

# ext/standard/versioning.c: a non-numeric part ranks by the first of these names it starts with; a number
# ranks as "#"; anything else ranks below "dev".
_PHP_SPECIAL_FORMS = (
    ("dev", 0), ("alpha", 1), ("a", 1), ("beta", 2), ("b", 2), ("RC", 3), ("rc", 3), ("#", 4), ("pl", 5),
    ("p", 5),
)
_PHP_NUMBER_RANK = 4
# After the last part, a shorter version behaves like "#": it beats dev/alpha/beta/RC suffixes
# (1.0 > 1.0-beta) and loses to patch ones (1.0 < 1.0-p1) and to further numbers (1.0 < 1.0.1).
_PHP_END = (_PHP_NUMBER_RANK, 0, 0)


def _php_form_rank(form: str) -> int:
    for name, rank in _PHP_SPECIAL_FORMS:
        if form.startswith(name):
            return rank
    return -1


def _php_canonicalize(version: str) -> str:
    """php_canonicalize_version: '-', '_', '+' and other non-alphanumerics become '.', and a '.' goes
    between every digit/non-digit transition, so ``1.0.0.0-RC1-dev`` reads ``1.0.0.0.RC.1.dev``."""
    if not version:
        return ""
    def digit(c: str) -> bool:
        return c in "0123456789"

    def non_digit(c: str) -> bool:
        return not digit(c) and c != "."

    out = [version[0]]
    previous = version[0]
    for char in version[1:]:
        if char in "-_+":
            if out[-1] != ".":
                out.append(".")
        elif (non_digit(previous) and digit(char)) or (digit(previous) and non_digit(char)):
            if out[-1] != ".":
                out.append(".")
            out.append(char)
        elif not (char.isascii() and char.isalnum()):
            if out[-1] != ".":
                out.append(".")
        else:
            out.append(char)
        previous = char
    return "".join(out)


@functools.lru_cache(maxsize=4096)
def _php_version_key(normalized: str) -> Key:
    """An order key that sorts exactly like PHP's version_compare() on composer-normalised versions."""
    parts = []
    for part in _php_canonicalize(normalized).split("."):
        if not part:
            break  # version_compare stops at an empty part; normalised versions never have one
        if part[0].isdigit():
            parts.append((_PHP_NUMBER_RANK, 1, int(part)))
        else:
            parts.append((_php_form_rank(part), 0, 0))
    parts.append(_PHP_END)
    return tuple(parts)


# --- VersionParser::parseConstraints -----------------------------------------------------------------------


def _composer_comparator(op: str, version: str) -> Comparator:
    op = {"=": "==", "<>": "!="}.get(op, op)
    key = None if version.startswith("dev-") else _php_version_key(version)
    return Comparator("composer", op, version, key)


_COMPOSER_ANY = Comparator("composer", "*", "", None)


def _composer_parse_constraints(text: str) -> tuple[tuple[Comparator, ...], ...]:
    groups = []
    for or_part in _C_OR_SPLIT.split(_php_trim(text)):
        comparators: list[Comparator] = []
        for and_part in _C_AND_SPLIT.split(or_part):
            try:
                comparators += _composer_parse_single(and_part)
            except ValueError as error:
                raise ValueError(f"invalid composer constraint {text!r}: {error}") from None
        groups.append(tuple(comparators))
    return tuple(groups)


def _composer_parse_single(constraint: str) -> list[Comparator]:
    """VersionParser::parseConstraint, for one AND-part such as ``~1.2``, ``>=1.0@dev`` or ``1.0 - 2.0``."""
    if match := _C_ALIAS.match(constraint):
        constraint = match.group(1)
    stability_modifier = None
    if match := _C_FLAG_SUFFIX.match(constraint):
        constraint = match.group(1) or "*"
        if match.group(2) != "stable":
            stability_modifier = match.group(2)
    if match := _C_REF.match(constraint):
        constraint = match.group(1)
    if match := _C_ANY.match(constraint):
        if match.group(1) or match.group(2):
            return [_composer_comparator(">=", "0.0.0.0-dev")]
        return [_COMPOSER_ANY]
    for parse in (_composer_tilde, _composer_caret, _composer_xrange, _composer_hyphen):
        result = parse(constraint)
        if result is not None:
            return result
    return _composer_basic(constraint, stability_modifier)


def _group_is_set(matches: Sequence[str | None], index: int) -> bool:
    return matches[index] not in (None, "")


def _composer_dev_suffix(matches: Sequence[str | None], stability: int, dev: int, wildcard_dev: int) -> str:
    # An unsuffixed bound gets -dev so that prereleases of the bound version itself are inside the range.
    if _php_empty(matches[stability]) and _php_empty(matches[dev]) and _php_empty(matches[wildcard_dev]):
        return "-dev"
    return ""


def _composer_tilde(constraint: str) -> list[Comparator] | None:
    match = _C_TILDE.match(constraint)
    if not match:
        return None
    if constraint.startswith("~>"):
        raise ValueError(
            f'Could not parse version constraint {constraint}: Invalid operator "~>", '
            'you probably meant to use the "~" operator'
        )
    matches = (match.group(0), *match.groups())
    position = next((i for i in (4, 3, 2) if _group_is_set(matches, i)), 1)
    if not _php_empty(matches[8]):  # 2.x-dev and 3.0.x-dev shift the position one further
        position += 1
    low = _composer_normalize((constraint + _composer_dev_suffix(matches, 5, 7, 8))[1:])
    high = _composer_manipulate(matches, max(1, position - 1), 1) + "-dev"
    return [_composer_comparator(">=", low), _composer_comparator("<", high)]


def _composer_caret(constraint: str) -> list[Comparator] | None:
    match = _C_CARET.match(constraint)
    if not match:
        return None
    matches = (match.group(0), *match.groups())
    # Allow changes that keep the left-most non-zero part of major.minor.patch. The test is on the text,
    # like composer's '0' !== $matches[1], so "00" does not count as zero.
    if matches[1] != "0" or not _group_is_set(matches, 2):
        position = 1
    elif matches[2] != "0" or not _group_is_set(matches, 3):
        position = 2
    else:
        position = 3
    low = _composer_normalize((constraint + _composer_dev_suffix(matches, 5, 7, 8))[1:])
    high = _composer_manipulate(matches, position, 1) + "-dev"
    return [_composer_comparator(">=", low), _composer_comparator("<", high)]


def _composer_xrange(constraint: str) -> list[Comparator] | None:
    match = _C_XRANGE.match(constraint)
    if not match:
        return None
    matches = (match.group(0), *match.groups(), None)
    position = next((i for i in (3, 2) if _group_is_set(matches, i)), 1)
    low = _composer_manipulate(matches, position) + "-dev"
    high = _composer_manipulate(matches, position, 1) + "-dev"
    if low == "0.0.0.0-dev":
        return [_composer_comparator("<", high)]
    return [_composer_comparator(">=", low), _composer_comparator("<", high)]


def _composer_hyphen(constraint: str) -> list[Comparator] | None:
    match = _C_HYPHEN.match(constraint)
    if not match:
        return None
    m = (match.group(0), *match.groups())
    low = _composer_normalize(match.group("from")) + _composer_dev_suffix(m, 6, 8, 9)

    def php_empty_but_zero(value: str | None) -> bool:
        return value != "0" and _php_empty(value)

    full_upper = not php_empty_but_zero(m[12]) and not php_empty_but_zero(m[13])
    if full_upper or not _php_empty(m[15]) or not _php_empty(m[17]) or not _php_empty(m[18]):
        high = _composer_normalize(match.group("to"))
        return [_composer_comparator(">=", low), _composer_comparator("<=", high)]
    # A partial upper bound means "anything starting with it": 1.0 - 2.0 is >=1.0 <2.1.
    _composer_normalize(match.group("to"))  # composer validates it all the same
    high_matches = ("", m[11], m[12], m[13], m[14])
    high = _composer_manipulate(high_matches, 1 if php_empty_but_zero(m[12]) else 2, 1) + "-dev"
    return [_composer_comparator(">=", low), _composer_comparator("<", high)]


def _composer_basic(constraint: str, stability_modifier: str | None) -> list[Comparator]:
    match = _C_BASIC.match(constraint)
    assert match is not None  # the pattern matches any string
    op, version_text = match.group(1), match.group(2)
    try:
        version = _composer_normalize(version_text)
    except ValueError as error:
        # "foobar-dev" is the old spelling of dev-foobar; composer still reads it.
        if not (version_text.endswith("-dev") and _C_DEV_NAME.match(version_text)):
            raise ValueError(f"Could not parse version constraint {constraint}: {error}") from None
        version = _composer_normalize("dev-" + version_text[:-4])
    op = op or "="
    if op not in ("==", "=") and stability_modifier and _composer_parse_stability(version) == "stable":
        version += "-" + stability_modifier
    elif (
        op in ("<", ">=")
        and not _C_HAS_MODIFIER.search(version_text.lower())
        and not version_text.startswith("dev-")
    ):
        # The bound gets -dev so that ">=1.2" admits 1.2.0-beta and "<2.0" rejects 2.0.0-beta.
        version += "-dev"
    return [_composer_comparator(op, version)]


def _composer_manipulate(
    matches: Sequence[str | None], position: int, increment: int = 0, pad: str = "0"
) -> str:
    """VersionParser::manipulateVersionString: pad the parts after ``position``, add ``increment`` to it."""
    parts = list(matches[1:5])
    for index in range(4, 0, -1):
        if index > position:
            parts[index - 1] = pad
        elif index == position and increment:
            parts[index - 1] = str(int(parts[index - 1] or "0") + increment)
    return ".".join(part or "" for part in parts)


def _composer_render(groups: Sequence[Sequence[Comparator]]) -> str:
    """``(string)`` of what parseConstraints returns, including MultiConstraint::create's merge of
    contiguous two-comparator OR-groups (``^2.5 || ^3.0`` prints as ``[>= 2.5.0.0-dev < 4.0.0.0-dev]``)."""
    nodes: list[list[Comparator] | Comparator] = [list(g) if len(g) > 1 else g[0] for g in groups]
    if len(nodes) == 1:
        return _composer_node_str(nodes[0])
    merged: list[list[Comparator] | Comparator] = []
    left = nodes[0]
    optimized = False
    for right in nodes[1:]:
        if _composer_contiguous(left, right):
            assert isinstance(left, list) and isinstance(right, list)
            left = [left[0], right[1]]
            optimized = True
        else:
            merged.append(left)
            left = right
    if optimized:
        merged.append(left)
        if len(merged) == 1:
            return _composer_node_str(merged[0])
        nodes = merged
    return "[" + " || ".join(_composer_node_str(n) for n in nodes) + "]"


def _composer_contiguous(left: list[Comparator] | Comparator, right: list[Comparator] | Comparator) -> bool:
    if not (isinstance(left, list) and isinstance(right, list) and len(left) == 2 and len(right) == 2):
        return False
    left0, left1, right0, right1 = str(left[0]), str(left[1]), str(right[0]), str(right[1])
    return (
        left0.startswith(">=") and left1.startswith("<")
        and right0.startswith(">=") and right1.startswith("<")
        and left1[2:] == right0[3:]
    )


def _composer_node_str(node: list[Comparator] | Comparator) -> str:
    if isinstance(node, list):
        return "[" + " ".join(str(c) for c in node) + "]"
    return str(node)


# ----------------------------------------------------------------------------------------------------------
# Dialect "npm": a port of node-semver 7 (classes/range.js, classes/comparator.js, internal/re.js) with
# loose=false and includePrerelease=false, which is how SemanticVersioning is used by the SPT server.
# ----------------------------------------------------------------------------------------------------------

_N_NUM = r"0|[1-9][0-9]*"
_N_NUM_LOOSE = r"[0-9]+"
_N_NONNUM = r"[0-9]*[a-zA-Z-][a-zA-Z0-9-]*"
_N_MAIN = rf"({_N_NUM})\.({_N_NUM})\.({_N_NUM})"
_N_MAIN_LOOSE = rf"({_N_NUM_LOOSE})\.({_N_NUM_LOOSE})\.({_N_NUM_LOOSE})"
_N_PREID = rf"(?:{_N_NUM}|{_N_NONNUM})"
_N_PREID_LOOSE = rf"(?:{_N_NUM_LOOSE}|{_N_NONNUM})"
_N_PRERELEASE = rf"(?:-({_N_PREID}(?:\.{_N_PREID})*))"
_N_PRERELEASE_LOOSE = rf"(?:-?({_N_PREID_LOOSE}(?:\.{_N_PREID_LOOSE})*))"
_N_BUILD = r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))"
_N_FULLPLAIN = rf"v?{_N_MAIN}{_N_PRERELEASE}?{_N_BUILD}?"
_N_LOOSEPLAIN = rf"[v=\s]*{_N_MAIN_LOOSE}{_N_PRERELEASE_LOOSE}?{_N_BUILD}?"
_N_GTLT = r"((?:<|>)?=?)"
_N_XID = rf"{_N_NUM}|x|X|\*"
_N_XRANGEPLAIN = rf"[v=\s]*({_N_XID})(?:\.({_N_XID})(?:\.({_N_XID})(?:{_N_PRERELEASE})?{_N_BUILD}?)?)?"

_N_FULL = re.compile(rf"^{_N_FULLPLAIN}$")
_N_XRANGE = re.compile(rf"^{_N_GTLT}\s*{_N_XRANGEPLAIN}$")
_N_TILDETRIM = re.compile(r"(\s*)(?:~>?)\s+")
_N_TILDE = re.compile(rf"^(?:~>?){_N_XRANGEPLAIN}$")
_N_CARETTRIM = re.compile(r"(\s*)(?:\^)\s+")
_N_CARET = re.compile(rf"^(?:\^){_N_XRANGEPLAIN}$")
_N_COMPARATOR = re.compile(rf"^{_N_GTLT}\s*({_N_FULLPLAIN})$|^$")
_N_COMPARATORTRIM = re.compile(rf"(\s*){_N_GTLT}\s*({_N_LOOSEPLAIN}|{_N_XRANGEPLAIN})")
_N_HYPHENRANGE = re.compile(rf"^\s*({_N_XRANGEPLAIN})\s+-\s+({_N_XRANGEPLAIN})\s*$")
_N_STAR = re.compile(r"(<|>)?=?\s*\*")
_N_GTE0 = re.compile(r"^\s*>=\s*0\.0\.0\s*$")
_N_NULL_SET = "<0.0.0-0"  # node-semver's spelling of "nothing"

_NPM_ANY = Comparator("npm", "*", "", None)


def _npm_is_x(identifier: str | None) -> bool:
    return not identifier or identifier.lower() == "x" or identifier == "*"


def _npm_parse_range(text: str) -> tuple[tuple[Comparator, ...], ...]:
    """Range's constructor: split on ``||``, parse each comparator set, then drop redundant sets."""
    raw = " ".join(text.split())  # node-semver collapses whitespace before anything else
    sets = [_npm_parse_set(part.strip(), text) for part in raw.split("||")]
    if len(sets) > 1:
        first = sets[0]
        sets = [s for s in sets if str(s[0]) != _N_NULL_SET] or [first]
        if len(sets) > 1:
            sets = next(([s] for s in sets if len(s) == 1 and s[0].op == "*"), sets)
    return tuple(sets)


def _npm_parse_set(range_text: str, original: str) -> tuple[Comparator, ...]:
    """Range.parseRange: desugar hyphen, tilde, caret, x and star ranges into plain comparators."""
    text = _N_HYPHENRANGE.sub(_npm_hyphen_replace, range_text, count=1)
    text = _N_COMPARATORTRIM.sub(r"\1\2\3", text)  # "> 1.2.3" to ">1.2.3"
    text = _N_TILDETRIM.sub(r"\1~", text)  # "~ 1.2.3" to "~1.2.3"
    text = _N_CARETTRIM.sub(r"\1^", text)  # "^ 1.2.3" to "^1.2.3"
    desugared = " ".join(_npm_desugar(comp) for comp in text.split(" "))
    comparators = [_npm_comparator(_npm_replace_gte0(comp), original) for comp in re.split(r"\s+", desugared)]
    unique: dict[str, Comparator] = {}
    for comparator in comparators:
        if str(comparator) == _N_NULL_SET:
            return (comparator,)
        unique[str(comparator)] = comparator
    if len(unique) > 1:
        unique.pop("", None)  # "*" is redundant next to anything else
    return tuple(unique.values())


def _npm_desugar(comp: str) -> str:
    """parseComparator: carets, then tildes, then x-ranges, then stars."""
    comp = " ".join(_npm_replace_caret(c) for c in re.split(r"\s+", comp.strip()))
    comp = " ".join(_npm_replace_tilde(c) for c in re.split(r"\s+", comp.strip()))
    comp = " ".join(_npm_replace_xrange(c) for c in re.split(r"\s+", comp))
    return _N_STAR.sub("", comp.strip(), count=1)


def _npm_replace_tilde(comp: str) -> str:
    """~1.2.3 is >=1.2.3 <1.3.0-0; ~1.2 is >=1.2.0 <1.3.0-0; ~1 is >=1.0.0 <2.0.0-0."""
    match = _N_TILDE.match(comp)
    if not match:
        return comp
    major, minor, patch, prerelease = match.group(1, 2, 3, 4)
    if _npm_is_x(major):
        return ""
    if _npm_is_x(minor):
        return f">={major}.0.0 <{int(major) + 1}.0.0-0"
    if _npm_is_x(patch):
        return f">={major}.{minor}.0 <{major}.{int(minor) + 1}.0-0"
    if prerelease:
        return f">={major}.{minor}.{patch}-{prerelease} <{major}.{int(minor) + 1}.0-0"
    return f">={major}.{minor}.{patch} <{major}.{int(minor) + 1}.0-0"


def _npm_replace_caret(comp: str) -> str:
    """^ keeps the left-most non-zero part: ^1.2.3 is <2.0.0-0, ^0.2.3 is <0.3.0-0, ^0.0.3 is <0.0.4-0."""
    match = _N_CARET.match(comp)
    if not match:
        return comp
    major, minor, patch, prerelease = match.group(1, 2, 3, 4)
    if _npm_is_x(major):
        return ""
    if _npm_is_x(minor):
        return f">={major}.0.0 <{int(major) + 1}.0.0-0"
    if _npm_is_x(patch):
        if major == "0":
            return f">={major}.{minor}.0 <{major}.{int(minor) + 1}.0-0"
        return f">={major}.{minor}.0 <{int(major) + 1}.0.0-0"
    low = f">={major}.{minor}.{patch}" + (f"-{prerelease}" if prerelease else "")
    if major != "0":
        return f"{low} <{int(major) + 1}.0.0-0"
    if minor != "0":
        return f"{low} <{major}.{int(minor) + 1}.0-0"
    return f"{low} <{major}.{minor}.{int(patch) + 1}-0"


def _npm_replace_xrange(comp: str) -> str:
    """1.2.x is >=1.2.0 <1.3.0-0; with an operator: >1.2 is >=1.3.0, <=1.2 is <1.3.0-0, <1.2 is <1.2.0-0."""
    comp = comp.strip()
    match = _N_XRANGE.match(comp)
    if not match:
        return comp
    gtlt, major, minor, patch = match.group(1, 2, 3, 4)
    x_major = _npm_is_x(major)
    x_minor = x_major or _npm_is_x(minor)
    x_patch = x_minor or _npm_is_x(patch)
    if gtlt == "=" and x_patch:
        gtlt = ""
    if x_major:
        return _N_NULL_SET if gtlt in (">", "<") else "*"
    if gtlt and x_patch:
        return _npm_partial_comparator(gtlt, int(major), 0 if x_minor else int(minor), x_minor)
    if x_minor:
        return f">={major}.0.0 <{int(major) + 1}.0.0-0"
    if x_patch:
        return f">={major}.{minor}.0 <{major}.{int(minor) + 1}.0-0"
    return match.group(0)


def _npm_partial_comparator(gtlt: str, major: int, minor: int, minor_is_x: bool) -> str:
    suffix = ""
    if gtlt == ">":
        gtlt = ">="
        major, minor = (major + 1, 0) if minor_is_x else (major, minor + 1)
    elif gtlt == "<=":
        gtlt = "<"
        major, minor = (major + 1, minor) if minor_is_x else (major, minor + 1)
    if gtlt == "<":
        suffix = "-0"
    return f"{gtlt}{major}.{minor}.0{suffix}"


def _npm_hyphen_replace(match: re.Match[str]) -> str:
    """1.2.3 - 2.3.4 is >=1.2.3 <=2.3.4; a partial end means "any of it": 1.2.3 - 2.3 is <2.4.0-0."""
    low, low_major, low_minor, low_patch, _, _, high, high_major, high_minor, high_patch, high_pre, _ = (
        match.groups()
    )
    if _npm_is_x(low_major):
        low = ""
    elif _npm_is_x(low_minor):
        low = f">={low_major}.0.0"
    elif _npm_is_x(low_patch):
        low = f">={low_major}.{low_minor}.0"
    else:
        low = f">={low}"
    if _npm_is_x(high_major):
        high = ""
    elif _npm_is_x(high_minor):
        high = f"<{int(high_major) + 1}.0.0-0"
    elif _npm_is_x(high_patch):
        high = f"<{high_major}.{int(high_minor) + 1}.0-0"
    elif high_pre:
        high = f"<={high_major}.{high_minor}.{high_patch}-{high_pre}"
    else:
        high = f"<={high}"
    return f"{low} {high}".strip()


def _npm_replace_gte0(comp: str) -> str:
    return _N_GTE0.sub("", comp.strip())  # >=0.0.0 is the same as *


def _npm_comparator(comp: str, original: str) -> Comparator:
    """Comparator.parse: an operator and a full strict version, or "" for any version."""
    comp = " ".join(comp.split())
    match = _N_COMPARATOR.match(comp)
    if not match:
        raise ValueError(f"invalid npm range {original!r}: {comp!r} is not a valid comparator")
    if not match.group(2):
        return _NPM_ANY
    op = match.group(1) or "=="
    version = _npm_strict_version(match.group(2))
    text = str(version.without_build())
    return Comparator("npm", "==" if op == "=" else op, text, version.precedence_key, version)


def _npm_strict_version(text: str) -> Version:
    """new SemVer(text) with loose=false: exactly M.m.p[-pre][+build], an optional v, no leading zeros."""
    match = _N_FULL.match(text.strip())
    if not match:
        raise ValueError(f"invalid npm version {text!r}")
    major, minor, patch, prerelease, build = match.groups()
    identifiers = tuple(int(i) if i.isdigit() else i for i in prerelease.split(".")) if prerelease else ()
    return Version(int(major), int(minor), int(patch), identifiers, tuple(build.split(".")) if build else ())


def _npm_render(groups: Sequence[Sequence[Comparator]]) -> str:
    """Range.format, except that "any version" prints as * instead of an empty string."""
    text = "||".join(" ".join(str(c) for c in group).strip() for group in groups).strip()
    return text or "*"

