"""Debian unstable's image, ``localhost/harness-sid:latest``: built once, reused, never half-built.

Built from ``containers/sid/Containerfile`` (``apt-get install python3.14
python3.15 pypy3`` on a sid base) in one of two ways, as the Jython image
(``harness.provision.images`` holds what both share):

``registry``
    ``FROM docker.io/library/debian:sid``;
``offline``
    ``FROM localhost/harness-debian:sid``, made here with debootstrap and
    imported into the engine: only Debian's mirror is needed. Its Release file
    may be past its Valid-Until date (a snapshot mirror), so apt is told not to check it.

``HARNESS_SID_BUILD=registry|offline`` chooses; otherwise the registry path is
taken when ``debian:sid`` pulls.

An image already there is reused, unless ``containers/sid/Containerfile``
changed since it was built (its sha256 is a label) or ``HARNESS_SID_REFRESH=1``
asks for a new sid day (a fresh debootstrap). The build runs under a temporary
tag and is retagged only when it succeeded and the interpreters inside answer:
a sid day with a package missing or uninstallable leaves the previous image in
use, named in one line.
"""

from __future__ import annotations

import os

from harness import paths
from harness.container import Engine, image_id_of, label
from harness.errors import ProvisionError, WorkerError
from harness.fileutil import sha256_of
from harness.progress import Progress, ProgressFn
from harness.provision.commands import logs_dir
from harness.provision.images import Relay, build_mode, debian_base, engine_build, ensure_engine
from harness.sid import ENTRIES, IMAGE, PROVISION_HINT, TARGET, Contents, contents

CONTAINERFILE = paths.CONTAINERS_DIR / "sid" / "Containerfile"
BUILDING = "localhost/harness-sid:building"
REGISTRY_BASE = "docker.io/library/debian:sid"
SUITE = "sid"
LOG_NAME = "sid-image-build.log"
DIGEST_LABEL = "org.gil-harness.containerfile-sha256"
# The Debian packages the image must hold (what ENTRIES' binaries come from).
PACKAGES = ("python3.14", "python3.15", "pypy3")


def _refresh_asked() -> bool:
    return os.environ.get("HARNESS_SID_REFRESH", "").strip().lower() in ("1", "yes", "true")


def provision_sid(progress: ProgressFn | None = None, refresh: bool | None = None) -> None:
    """Make ``localhost/harness-sid:latest`` exist and hold working interpreters.

    ``refresh`` (default: ``$HARNESS_SID_REFRESH``) rebuilds from a new sid day.
    A rebuild that fails while an image is there keeps that image and says so in
    one line; with no image to fall back on it raises ``ProvisionError``.
    """
    steps = Progress(stamp=False) if progress is None else Relay(progress)
    refresh = _refresh_asked() if refresh is None else refresh
    engine = ensure_engine(steps, TARGET)
    current = image_id_of(engine, IMAGE)
    digest = sha256_of(CONTAINERFILE)
    if current is not None and not refresh:
        if label(engine, current, DIGEST_LABEL) == digest:
            steps(f"{TARGET}: image {IMAGE} present ({current[:12]}), reused")
            _say_contents(steps, contents(engine, current))
            return
        steps(f"{TARGET}: {CONTAINERFILE.name} changed since {current[:12]} was built: rebuilding")
    try:
        built = _build(engine, steps, digest, fresh=refresh and current is not None)
    except (ProvisionError, WorkerError) as exc:
        engine.run(["rmi", "-f", BUILDING])
        if current is None:
            raise
        steps(f"{TARGET}: today's sid did not build ({_apt_error() or exc.message}); "
              f"keeping {IMAGE} ({current[:12]})")
        return
    _retag(engine, steps, built, current)
    steps(f"{TARGET}: image {IMAGE} ready ({steps.total():.0f} s in all)")


def _build(engine: Engine, steps: Progress, digest: str, fresh: bool) -> str:
    """Build under ``BUILDING`` and check it; its image id."""
    mode = build_mode(engine, steps, TARGET, "HARNESS_SID_BUILD", REGISTRY_BASE)
    args = {"BUILD": mode}
    if mode == "offline":
        args["BASE"] = debian_base(engine, SUITE, steps, TARGET, PROVISION_HINT, fresh=fresh)
        args["CHECK_VALID_UNTIL"] = "false"
    else:
        args["BASE"] = REGISTRY_BASE
    with steps.timed(f"{TARGET}: {engine.name} build {BUILDING} ({mode}: {args['BASE']})"):
        engine_build(
            engine, steps, TARGET, BUILDING, CONTAINERFILE, args, LOG_NAME,
            labels={DIGEST_LABEL: digest},
        )
    built = image_id_of(engine, BUILDING)
    if built is None:
        raise ProvisionError(f"{TARGET}: the build reported success but {BUILDING} is absent")
    with steps.timed(f"{TARGET}: read what the image holds (no network)"):
        found = contents(engine, built)
    _check(found)
    _say_contents(steps, found)
    return built


def _apt_error() -> str:
    """apt's first error line in the build log ("E: Unable to locate package ..."), or ""."""
    log = logs_dir() / LOG_NAME
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return next((line.strip()[:160] for line in lines if line.startswith("E: ")), "")


def _check(found: Contents) -> None:
    """Every package and binary the entries need is in the image, or ``ProvisionError``."""
    lacking = [p for p in PACKAGES if p not in found.packages]
    lacking += [b for b in ENTRIES.values() if not found.version_of(b)]
    if lacking:
        raise ProvisionError(
            f"{TARGET}: the built image lacks {', '.join(lacking)}",
            f"see {paths.cache_dir() / 'logs' / LOG_NAME}",
        )


def _retag(engine: Engine, steps: Progress, built: str, previous: str | None) -> None:
    """``BUILDING`` becomes ``IMAGE``; the temporary tag and a replaced image are removed."""
    done = engine.run(["tag", built, IMAGE])
    if done.returncode != 0:
        raise ProvisionError(f"{TARGET}: {engine.name} tag {built[:12]} {IMAGE} failed")
    engine.run(["rmi", BUILDING])  # only the tag: the image keeps IMAGE
    if previous is not None and previous != built:
        engine.run(["rmi", previous])  # fails harmlessly while a container still uses it
        steps(f"{TARGET}: replaced {previous[:12]} by {built[:12]}")


def _say_contents(steps: Progress, found: Contents) -> None:
    shown = ", ".join(f"{p} {found.packages.get(p, '?')}" for p in PACKAGES)
    steps(f"{TARGET}: {shown} (sid of {found.release_date or 'unknown date'})")

