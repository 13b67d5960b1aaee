"""The kinds of interpreter the harness knows: one row each, read by everyone.

A row says what ids of that kind look like, their family (the nox tag and the
report's group), the GIL they run with, whether a JIT makes early values noise,
how ``python -m harness provision`` gets them (the target and its Debian
packages), the hint shown while they are missing, their order in listings, and
their display name. Discovery, provisioning, the runner, the report and the
noxfile read these rows; nothing else spells out what a kind is.

Adding a kind is adding a row to ``KINDS`` (the first row whose pattern matches an id wins).
A provisioning target named by a row is implemented in ``harness.provision``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from harness.spec import Interpreter

TWIN_SUFFIX = "+gil"
TWIN_ENV = (("PYTHON_GIL", "1"),)
# The GIL twin of a free-threaded build: the default CPython built from the same
# source with the same configure flags but --disable-gil ("3.13-twin"), and the
# record each built prefix keeps of what it was built from (harness.provision.build).
GIL_TWIN_SUFFIX = "-twin"
BUILD_RECORD = "harness-build.json"
PROVISION = "python -m harness provision"

PYPY_PACKAGES = ("pypy3", "pypy3-venv", "pypy3-dev")
JYTHON_PACKAGES = ("jython",)


@dataclass(frozen=True)
class Kind:
    """One kind of interpreter (see the module docstring)."""

    name: str
    pattern: str  # regular expression an id of this kind fully matches
    family: str  # "cpython" | "free-threaded" | "pypy" | "jython" | ...
    implementation: str  # what the interpreter says it is ("cpython", "pypy", ...)
    gil: str  # the GIL at run time: "on" | "off" | "none" | "unknown"
    order: int  # rank of the family in listings and reports
    display: str  # "CPython", "PyPy", ...
    jit: bool = False  # early values are warm-up noise: recalibrate, fewer processes
    env: tuple[tuple[str, str], ...] = ()  # extra environment of every entry of this kind
    # Discovery: the binary names of this kind ("python3.13t" ...) and the id a binary gets.
    binary: str = ""  # name prefix: "python", "pypy", "jython"
    free_threaded: bool = False  # a binary of this kind is a Py_GIL_DISABLED build
    id_format: str = ""  # from the binary's X.Y: "{minor}t"
    twin: bool = False  # also listed as "<id>+gil": the same binary with PYTHON_GIL=1
    default_since: tuple[int, ...] = ()  # older versions (but 2.7) are listed, not compared
    # Provisioning: the target that makes these ids ready, and what it installs.
    target: str = ""
    default_target: bool = False  # a bare `provision` runs it
    packages: tuple[str, ...] = ()  # Debian packages the target installs
    ids: tuple[str, ...] = ()  # ids always listed (missing until provisioned)
    hint: str = ""  # how to get a missing one; "{id}" and "{packages}" are filled in
    note: str = ""  # what provisioning it involves, shown beside a missing one
    bench: tuple[str, ...] = ()  # ids in the CI matrix (nox "bench(<id>)" sessions)

    def matches(self, ident: str) -> bool:
        """True when ``ident`` is an id of this kind."""
        return re.fullmatch(self.pattern, ident) is not None

    def hint_for(self, ident: str) -> str:
        """The command that provides a missing ``ident`` of this kind."""
        text = self.hint or (f"{PROVISION} {{id}}" if self.target else "")
        return text.format(id=ident, packages=" ".join(self.packages))

    def as_twin(self) -> Kind:
        """The kind of "<id>+gil": the same build with the GIL turned back on."""
        return replace(
            self, name=f"{self.name}{TWIN_SUFFIX}", gil="on", env=TWIN_ENV, twin=False,
            pattern=self.pattern + re.escape(TWIN_SUFFIX),
            ids=tuple(i + TWIN_SUFFIX for i in self.ids), binary="",
            bench=tuple(i + TWIN_SUFFIX for i in self.bench),
        )


_FT_NOTE_313 = ("builds CPython 3.13.5 (Debian's sha256-pinned source) --disable-gil and its "
                "GIL twin into the cache (about 2-3 minutes each)")


def _ft_hint(minor: str, uv: bool = True) -> str:
    """How to get X.Yt (and its twin) where no build exists: python.org, a tarball, uv."""
    text = (f"{PROVISION} {minor}t (python.org's newest {minor}), or {PROVISION} --source "
            f"PATH_OR_URL (any CPython {minor} tarball)")
    return text + (f", or `uv python install {minor}t`" if uv else "")


_FT_NOTE = "builds the newest release from python.org --disable-gil and its GIL twin"
_TWIN_NOTE = "the same source and configure flags as {ft}, without --disable-gil"

_SID_NOTE = "Debian unstable's build, in a container image made offline (about 1 minute)"

# Rows whose patterns could overlap come most specific first; otherwise the
# order is the order of a bare `provision` run's targets.
KINDS: tuple[Kind, ...] = (
    # Debian unstable's builds in the sid image (harness.sid): container entries
    # where no host interpreter of the id exists. Their binaries on a host are
    # discovered through the generic rows below (binary="" here).
    Kind("sid-cpython", r"3\.1[45]", "cpython", "cpython", "on", 0, "CPython",
         target="sid", default_target=True, ids=("3.14", "3.15"), note=_SID_NOTE),
    Kind("sid-pypy", r"pypy3\.11", "pypy", "pypy", "on", 2, "PyPy", jit=True,
         target="sid", ids=("pypy3.11",), note=_SID_NOTE),
    Kind("pypy", r"pypy\d+(\.\d+)?", "pypy", "pypy", "on", 2, "PyPy", jit=True,
         binary="pypy", id_format="pypy{minor}", target="pypy", default_target=True,
         packages=PYPY_PACKAGES, ids=("pypy3",), bench=("pypy3",),
         hint=f"{PROVISION} pypy3 (runs: apt-get install -y {{packages}})"),
    Kind("jython", r"jython2\.7", "jython", "jython", "none", 3, "Jython", jit=True,
         binary="jython", id_format="jython{minor}", target="jython", default_target=True,
         ids=("jython2.7",), bench=("jython2.7",)),
    Kind("jython-local", r"jython2\.7-local", "jython", "jython", "none", 3, "Jython", jit=True,
         target="jython-local", packages=JYTHON_PACKAGES, ids=("jython2.7-local",),
         hint=f"{PROVISION} {{id}} (runs: apt-get install -y {{packages}})"),
    Kind("jython-container", r"jython2\.7-container", "jython", "jython", "none", 3, "Jython",
         jit=True, target="jython-container", ids=("jython2.7-container",),
         hint=f"{PROVISION} jython2.7"),
    Kind("free-threaded-3.13", r"3\.13t", "free-threaded", "cpython", "off", 1, "CPython",
         binary="python", free_threaded=True, id_format="{minor}t", twin=True,
         target="3.13t", default_target=True, ids=("3.13t",), note=_FT_NOTE_313,
         bench=("3.13t",)),
    Kind("free-threaded-3.14", r"3\.14t", "free-threaded", "cpython", "off", 1, "CPython",
         binary="python", free_threaded=True, id_format="{minor}t", twin=True,
         target="3.14t", default_target=True, ids=("3.14t",), hint=_ft_hint("3.14"),
         note=_FT_NOTE,
         bench=("3.14t",)),
    Kind("free-threaded-3.15", r"3\.15t", "free-threaded", "cpython", "off", 1, "CPython",
         binary="python", free_threaded=True, id_format="{minor}t", twin=True,
         target="3.15t", default_target=True, ids=("3.15t",), hint=_ft_hint("3.15"),
         note=_FT_NOTE, bench=("3.15t",)),
    Kind("free-threaded", r"\d+\.\d+t", "free-threaded", "cpython", "off", 1, "CPython",
         binary="python", free_threaded=True, id_format="{minor}t", twin=True),
    # GIL twins: found only in the harness's own "-twin" prefixes (binary="": a plain
    # python3.13 elsewhere is "3.13"); family "cpython" because that is what they are.
    Kind("gil-twin-3.13", r"3\.13-twin", "cpython", "cpython", "on", 0, "CPython",
         target="3.13t", ids=("3.13-twin",), note=_TWIN_NOTE.format(ft="3.13t"),
         hint=f"{PROVISION} 3.13t"),
    Kind("gil-twin-3.14", r"3\.14-twin", "cpython", "cpython", "on", 0, "CPython",
         target="3.14t", ids=("3.14-twin",), note=_TWIN_NOTE.format(ft="3.14t"),
         hint=_ft_hint("3.14", uv=False)),
    Kind("gil-twin-3.15", r"3\.15-twin", "cpython", "cpython", "on", 0, "CPython",
         target="3.15t", ids=("3.15-twin",), note=_TWIN_NOTE.format(ft="3.15t"),
         hint=_ft_hint("3.15", uv=False)),
    Kind("gil-twin", r"\d+\.\d+-twin", "cpython", "cpython", "on", 0, "CPython",
         hint=f"{PROVISION} --source PATH_OR_URL"),
    Kind("cpython", r"\d+\.\d+", "cpython", "cpython", "on", 0, "CPython",
         binary="python", id_format="{minor}", default_since=(3, 11),
         bench=("2.7", "3.11", "3.12", "3.13", "3.14", "3.15")),
    Kind("graalpy", r"graalpy\d+(\.\d+)?", "graalpy", "graalpy", "on", 4, "GraalPy", jit=True),
)
# What an id matches when no row does: a user's own entry (its TOML says what it is).
USER = Kind("user", r".+", "user", "unknown", "unknown", 5, "")


def kind_of(ident: str) -> Kind:
    """The row for ``ident`` ("3.13t+gil" is the twin of the "3.13t" row); ``USER`` when none."""
    if ident.endswith(TWIN_SUFFIX):
        base = kind_of(ident[: -len(TWIN_SUFFIX)])
        if base.twin:
            return base.as_twin()
        return USER
    for kind in KINDS:
        if kind.matches(ident):
            return kind
    return USER


def kind_for_binary(implementation: str, free_threaded: bool, minor: str) -> Kind | None:
    """The row a discovered binary belongs to (``None``: an implementation no row knows)."""
    for kind in KINDS:
        if (kind.binary and kind.implementation == implementation
                and kind.free_threaded == free_threaded
                and kind.matches(kind.id_format.format(minor=minor))):
            return kind
    return None


def binary_pattern() -> re.Pattern[str]:
    """File names discovery looks at on PATH: ``python3.13t``, ``pypy3``, ``jython``, ..."""
    prefixes = sorted({k.binary for k in KINDS if k.binary})
    return re.compile(rf"^(?:{'|'.join(prefixes)})(?:\d+(?:\.\d+)?t?)?$")


def binary_names() -> list[str]:
    """The names tried, in order, in a pyenv version's ``bin``: ``python``, ``python3``, ..."""
    names: list[str] = []
    for kind in sorted(KINDS, key=lambda k: k.order):
        for name in (kind.binary, f"{kind.binary}3"):
            if kind.binary and name not in names:
                names.append(name)
    return names


def version_key(text: str) -> tuple[int, ...]:
    """Numbers in ``text`` as a sort key: "cpython-3.14.10t" after "cpython-3.14.9t"."""
    return tuple(int(p) for p in re.findall(r"\d+", text))


def is_default(ident: str) -> bool:
    """Part of the default comparison: CPython 2.7 and 3.11+, and every other kind."""
    kind = kind_of(ident)
    if not kind.default_since:
        return True
    key = version_key(ident)
    return key == (2, 7) or key >= kind.default_since


def family_rank(family: str) -> int:
    """The family's place in listings and reports: CPython, free-threaded, PyPy, Jython, others."""
    ranks = [k.order for k in KINDS if k.family == family]
    return min(ranks) if ranks else USER.order


def display_name(ident_or_implementation: str) -> str:
    """"CPython", "PyPy", "Jython" for an id or an implementation name; else the text itself."""
    for kind in KINDS:
        if ident_or_implementation == kind.implementation:
            return kind.display
    kind = kind_of(ident_or_implementation)
    return kind.display or ident_or_implementation


def has_jit(interp: Interpreter | str) -> bool:
    """True for interpreters whose early values are warm-up noise (PyPy, the JVM's Jython).

    An ``Interpreter`` (a user entry may have any id) is judged by its implementation
    and family as well as its id.
    """
    if isinstance(interp, str):
        return kind_of(interp).jit
    jitted = {k.implementation for k in KINDS if k.jit} | {k.family for k in KINDS if k.jit}
    names = {interp.implementation.lower(), interp.family.lower()}
    return kind_of(interp.id).jit or bool(names & jitted)


def sort_key(interp: Interpreter) -> tuple[int, int, tuple[int, ...], str]:
    """Listing order: discovered before user entries, then family, version, id."""
    return (
        1 if interp.source == "user" else 0,
        family_rank(interp.family),
        version_key(interp.id),
        interp.id,
    )


def target_of(ident: str) -> str | None:
    """The ``provision`` target that makes ``ident`` ready, or None (nothing to provision)."""
    return kind_of(ident).target or None


def default_targets() -> tuple[str, ...]:
    """What a bare ``python -m harness provision`` runs, in order."""
    return tuple(k.target for k in KINDS if k.default_target)


def provisionable_ids() -> tuple[str, ...]:
    """Ids ``provision`` can make ready even when discovery saw nothing (twins included)."""
    out: list[str] = []
    for kind in KINDS:
        if kind.target:
            for ident in kind.ids:
                out.append(ident)
                if kind.twin:
                    out.append(ident + TWIN_SUFFIX)
    return tuple(out)


def packages_of(target: str) -> tuple[str, ...]:
    """The Debian packages an apt-based ``target`` installs."""
    for kind in KINDS:
        if kind.target == target and kind.packages:
            return kind.packages
    raise KeyError(target)


def bench_ids() -> dict[str, str]:
    """Id -> family of the CI matrix (one nox ``bench`` session each), in listing order."""
    out: dict[str, str] = {}
    for kind in KINDS:
        for ident in kind.bench:
            out[ident] = kind.family
            if kind.twin:
                out[ident + TWIN_SUFFIX] = kind.family
    order = sorted(out, key=lambda i: (family_rank(out[i]), version_key(i), i))
    return {ident: out[ident] for ident in order}
