"""The Debian-unstable image: CPython 3.14 and 3.15 and PyPy for Python 3.11 as container entries.

Debian's unstable suite ("sid") ships binary packages of the newest releases
(``python3.14``, ``python3.15``, ``pypy3``); they need sid's C library, so they
run in ``localhost/harness-sid:latest``, built by ``harness.provision.sid`` from
``containers/sid/``. This module is the discovery side: which entries the image
provides (``3.14``, ``3.15``, ``pypy3.11``: discovery uses them where no host
interpreter of that id exists), and what an image holds, for a run's facts.

sid changes daily, so what matters is the image actually used: the image
records its Debian package versions and what each binary is in
``/usr/share/gil-harness/``; they are read once per image id (a container
started without network) and cached in ``<cache>/containers/harness-sid.json``.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from harness import kinds, paths
from harness.container import (
    Engine,
    entry_image,
    find_engine,
    image_facts,
    image_id_of,
    last_line,
)
from harness.errors import ProvisionError, WorkerError
from harness.fileutil import atomic_write_text
from harness.spec import READY, SOURCE_CONTAINER, ContainerRef, Interpreter

IMAGE = "localhost/harness-sid:latest"
TARGET = "sid"
PROVISION_HINT = f"python -m harness provision {TARGET}"
CONTENTS_DIR = "/usr/share/gil-harness"
# id -> the binary inside the image.
ENTRIES: dict[str, str] = {"3.14": "python3.14", "3.15": "python3.15", "pypy3.11": "pypy3.11"}
LOOK_TIMEOUT = 60.0


@dataclass(frozen=True)
class Contents:
    """What one image holds: Debian package versions, and what each binary is."""

    image_id: str
    packages: dict[str, str] = field(default_factory=dict)  # Debian package -> version
    release_date: str = ""  # the Date of the sid Release it was installed from
    # binary -> [python version, implementation]
    binaries: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def parse(cls, image_id: str, packages: str, binaries: str) -> Contents:
        """The two files of ``CONTENTS_DIR`` ("name version" and "binary version impl" lines)."""
        found: dict[str, str] = {}
        date = ""
        for line in packages.splitlines():
            name, _, value = line.strip().partition(" ")
            if name == "sid-release-date":
                date = value.strip()
            elif name and value:
                found[name] = value.strip()
        what: dict[str, list[str]] = {}
        for line in binaries.splitlines():
            words = line.split()
            if len(words) == 3:
                what[words[0]] = [words[1], words[2]]
        return cls(image_id, found, date, what)

    def version_of(self, binary: str) -> str:
        """The Python version a binary reports ("3.11.17" for pypy3.11), or ""."""
        return self.binaries.get(binary, ["", ""])[0]


def _cache_path() -> Path:
    return paths.cache_dir() / "containers" / "harness-sid.json"


def _cached(image_id: str) -> Contents | None:
    try:
        data = json.loads(_cache_path().read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("image_id") != image_id:
        return None
    try:
        return Contents(**data)
    except TypeError:  # an older cache layout: read the image again
        return None


def contents(engine: Engine, image_id: str) -> Contents:
    """What the image ``image_id`` holds: from the cache, else read once (no network).

    Raises ``WorkerError`` when the container cannot start or holds no such files.
    """
    known = _cached(image_id)
    if known is not None:
        return known
    script = f"cat {CONTENTS_DIR}/packages; echo '--'; cat {CONTENTS_DIR}/interpreters"
    done = engine.run_image(image_id, ["sh", "-c", script], timeout=LOOK_TIMEOUT)
    packages, sep, binaries = done.stdout.partition("--\n")
    if done.returncode != 0 or not sep:
        raise WorkerError(
            f"image {IMAGE}: cannot read {CONTENTS_DIR} (exit {done.returncode}): "
            f"{last_line(done.stderr) or '(no output)'}",
            f"rebuild it: {engine.name} rmi {IMAGE} && {PROVISION_HINT}",
        )
    found = Contents.parse(image_id, packages, binaries)
    with contextlib.suppress(OSError):  # a cache that cannot be written: read again next time
        atomic_write_text(_cache_path(), json.dumps(asdict(found), indent=2, sort_keys=True) + "\n")
    return found


def _entry(ident: str, engine: Engine, found: Contents) -> Interpreter:
    binary = ENTRIES[ident]
    version, implementation = found.binaries.get(binary, ["", ""])
    ref = ContainerRef(
        engine=engine.path, image=IMAGE, interpreter=(binary,), engine_env=engine.env
    )
    kind = kinds.kind_of(ident)  # the sid-cpython and sid-pypy rows
    package = "pypy3" if kind.implementation == "pypy" else binary
    return Interpreter(
        id=ident,
        implementation=implementation or kind.implementation,
        version=version,
        gil=kind.gil,
        source=SOURCE_CONTAINER,
        family=kind.family,
        # Informative only: command() builds the real argv, with the mounts.
        argv=(engine.path, "run", "--rm", "--network=none", "-i", IMAGE, binary),
        status=READY,
        container=ref,
        notes=(
            f"Debian sid {package} {found.packages.get(package, '?')} in {engine.name} image "
            f"{IMAGE} ({found.image_id[:19]})",
        ),
    )


def discover() -> list[Interpreter]:
    """The image's ready entries; [] when there is no engine, no image, or it cannot be read.

    The missing entries (with the command that provides them) come from the
    rows of ``harness.kinds``, as for every kind the harness always lists.
    """
    try:
        engine = find_engine()
        image_id = image_id_of(engine, IMAGE)
        if image_id is None:
            return []
        found = contents(engine, image_id)
    except (ProvisionError, WorkerError):
        return []
    return [_entry(ident, engine, found) for ident in ENTRIES]


def is_sid(interp: Interpreter) -> bool:
    """True for an entry that runs in the Debian-unstable image."""
    return interp.container is not None and interp.container.image == IMAGE


def describe(interp: Interpreter) -> dict[str, object]:
    """Engine, image, image id and the Debian packages behind a sid entry, for a run's facts.

    Keys: ``engine``, ``engine_version``, ``image``, ``image_id``, ``build``,
    ``where`` ("container"), ``binary``, ``debian_packages`` (package -> version),
    ``sid_release_date``. Raises ``WorkerError`` when the image is gone.
    """
    ref = interp.container
    if ref is None or ref.image != IMAGE:
        return {}
    engine, image_id = entry_image(interp, PROVISION_HINT)
    found = contents(engine, image_id)
    return {
        **image_facts(engine, image_id, ref.image),
        "where": "container",
        "binary": ref.interpreter[0] if ref.interpreter else "",
        "debian_packages": dict(found.packages),
        "sid_release_date": found.release_date,
    }
