"""What every container image's provisioning shares: the engine, an offline Debian base, a build.

Two images use it: Jython's (``harness.provision.jython``) and Debian unstable's
(``harness.provision.sid``). The offline path needs only Debian's mirror:

1. ``debootstrap --variant=minbase <suite> <tmpdir> http://deb.debian.org/debian``,
   tarred to ``<cache>/containers/debian-<suite>-minbase.tar`` and kept;
2. ``<engine> import`` of that tar as ``localhost/harness-debian:<suite>``;
3. ``<engine> build`` of a Containerfile ``FROM`` it, the output in a log file.

Every progress line starts with ``who`` (the interpreter id or target the image is for).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO

from harness import paths, procgroup
from harness.container import Engine, find_engine, first_line, image_id_of, last_line
from harness.errors import ProvisionError, Unavailable
from harness.progress import Progress, ProgressFn
from harness.provision.apt import DEBIAN_MIRROR, apt_install, is_root
from harness.provision.commands import logs_dir

DEBIAN_BASE = "localhost/harness-debian"
ENGINE_PACKAGES = ("podman", "runc", "debootstrap")

PULL_TIMEOUT = 20.0
BUILD_TIMEOUT = 1800.0


class Relay(Progress):
    """A ``Progress`` whose lines go to the caller's function (``provision_image(progress)``)."""

    def __init__(self, say: ProgressFn) -> None:
        super().__init__(stamp=False)
        self.say = say

    def line(self, text: str) -> None:
        self.say(text)


def ensure_engine(steps: Progress, who: str) -> Engine:
    """The container engine, installed with apt (podman, runc, debootstrap) when there is none."""
    try:
        engine = find_engine()
    except ProvisionError:
        if os.environ.get("HARNESS_CONTAINER_ENGINE"):
            raise
    else:
        # Podman without runc falls back to crun, which fails on this kind of
        # machine (cgroups in hybrid mode): install runc beside a podman that came alone.
        if engine.name == "podman" and shutil.which("runc") is None:
            try:
                with steps.timed(f"{who}: install runc (apt): podman's crun fails here"):
                    apt_install(["runc"], "podman's runtime", steps)
            except Unavailable as exc:
                steps(f"{who}: runc not installed: {exc}")
            return find_engine()
        return engine
    with steps.timed(f"{who}: install {' '.join(ENGINE_PACKAGES)} (apt)"):
        apt_install(ENGINE_PACKAGES, f"the {who} container image", steps)
    return find_engine()


def build_mode(engine: Engine, steps: Progress, who: str, variable: str, registry_base: str) -> str:
    """"registry" or "offline": ``$variable`` when set, else whether ``registry_base`` pulls.

    A failed pull is fast (DNS or connection refused); a hung one is cut at ``PULL_TIMEOUT``.
    """
    chosen = os.environ.get(variable, "").strip().lower()
    if chosen in ("registry", "offline"):
        steps(f"{who}: build mode {chosen} ({variable})")
        return chosen
    if chosen:
        raise ProvisionError(
            f"{variable}={chosen!r} is not a build mode",
            "set it to registry or offline, or unset it",
        )
    with steps.timed(f"{who}: pull {registry_base} (is a registry reachable?)"):
        done = engine.run(["pull", registry_base], timeout=PULL_TIMEOUT)
    if done.returncode == 0:
        steps(f"{who}: build mode registry (the base image pulled)")
        return "registry"
    why = last_line(done.stderr)[:120] or "pull failed"
    steps(f"{who}: build mode offline (no registry: {why})")
    return "offline"


def engine_build(
    engine: Engine,
    steps: Progress,
    who: str,
    tag: str,
    containerfile: Path,
    build_args: dict[str, str],
    log_name: str,
    labels: dict[str, str] | None = None,
) -> None:
    """``engine build -t tag`` of ``containerfile`` (its folder is the context), logged.

    ``labels`` are added to the image (``--label``), beside the Containerfile's own.

    The output goes to ``<cache>/logs/<log_name>``; STEP lines go to progress. A
    failed build raises ``ProvisionError`` with the log's last line; podman is
    told to keep no intermediate images, so a failed build leaves nothing behind.
    """
    log = logs_dir() / log_name
    log.parent.mkdir(parents=True, exist_ok=True)
    argv = [engine.path, "build", "--force-rm", "-t", tag, "-f", str(containerfile)]
    if engine.name == "podman":
        # Without intermediate images a failed build leaves nothing behind (docker's
        # BuildKit keeps its cache out of the image list anyway).
        argv.append("--layers=false")
    for key, value in build_args.items():
        argv += ["--build-arg", f"{key}={value}"]
    for key, value in (labels or {}).items():
        argv += ["--label", f"{key}={value}"]
    argv.append(str(containerfile.parent))
    before = _build_containers(engine)
    with log.open("w") as out:
        out.write("$ " + " ".join(argv) + "\n")
        out.flush()
        status = _logged_build(engine, argv, out, steps, who, before)
    if status != 0:
        tail = [x for x in log.read_text().splitlines() if x.strip()][-1:]
        raise ProvisionError(
            f"{who}: image build failed ({engine.name} build exit {status}"
            + (f": {tail[0].strip()[:160]}" if tail else "")
            + ")",
            f"see {log}",
        )


def _logged_build(engine: Engine, argv: list[str], out: IO[str], steps: Progress, who: str,
                  before: set[str]) -> int:
    """Run the build in its own session, its output to ``out``; its exit status.

    Interrupted (Ctrl-C, SIGTERM, SIGHUP) or failed, nothing of it is left
    running: the engine's group is killed, then its RUN step and working containers.
    """
    proc = procgroup.start(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           env=engine.environ())
    assert proc.stdout is not None
    # A build that hangs without printing is still cut at BUILD_TIMEOUT.
    watchdog = threading.Timer(BUILD_TIMEOUT, procgroup.kill_group, (proc,))
    watchdog.start()
    try:
        for line in proc.stdout:
            out.write(line)
            # podman/buildah and docker's classic builder announce steps so.
            if line.startswith(("STEP ", "Step ")):
                steps(f"{who}:   {line.rstrip()[:140]}")
        status = proc.wait()
        procgroup.forget(proc)
    except BaseException:
        with procgroup.held(reraise=False):
            procgroup.finish(proc, reraise=False)
            _remove_build_containers(engine, before)
        raise
    finally:
        watchdog.cancel()
        proc.stdout.close()
    if status != 0:
        with procgroup.held():
            _remove_build_containers(engine, before)
    return status


def _build_containers(engine: Engine) -> set[str]:
    """What a podman build runs in: its working containers and its RUN steps' runtime containers.

    A killed ``podman build`` leaves both (a RUN step's process runs on, in its
    own session, under the runtime: ``runc list`` shows ``buildah-buildah<N>``).
    Docker's builder is its daemon's: killing the client cancels it.
    """
    if engine.name != "podman":
        return set()
    found: set[str] = set()
    done = engine.run(["ps", "-a", "--external", "-q", "--no-trunc"])
    found.update(f"container {word}" for word in done.stdout.split())
    for runtime in ("runc", "crun"):
        if shutil.which(runtime) is None:
            continue
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            listed = subprocess.run([runtime, "list", "-q"], capture_output=True, text=True,
                                    timeout=30, check=False).stdout.split()
            found.update(f"{runtime} {i}" for i in listed if i.startswith("buildah-"))
    return found


def _remove_build_containers(engine: Engine, before: set[str]) -> None:
    """Remove what the build started (``_build_containers`` now, minus ``before``)."""
    for entry in sorted(_build_containers(engine) - before):
        kind, _, ident = entry.partition(" ")
        if kind == "container":
            engine.run(["rm", "-f", "--time=0", ident], timeout=procgroup.STOP_TIMEOUT)
            continue
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            subprocess.run([kind, "delete", "--force", ident], capture_output=True,
                           timeout=procgroup.STOP_TIMEOUT, check=False)
        # The RUN step's bundle: buildah's temporary folder (/var/tmp/buildah<N>).
        shutil.rmtree(Path("/var/tmp") / ident.removeprefix("buildah-"), ignore_errors=True)


def _unmount_under(root: Path) -> None:
    """Unmount whatever a failed debootstrap left mounted (proc, sys) before deleting the tree."""
    with contextlib.suppress(OSError):
        mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines() if line]
        prefix = str(root.resolve()) + "/"
        for mount in sorted((m for m in mounts if m.startswith(prefix)), reverse=True):
            subprocess.run(["umount", "-l", mount], capture_output=True, check=False)


def _argv_again() -> str:
    """The command being run, to repeat as root ("python -m harness ...")."""
    return " ".join(["python -m harness", *(shlex.quote(a) for a in sys.argv[1:])])


def debootstrap_tarball(suite: str, steps: Progress, who: str, fresh: bool = False) -> Path:
    """A tar of a minbase Debian tree for ``suite``, cached under ``cache_dir()/containers``.

    ``fresh`` makes a new one even when a tar is cached; the cached one is
    replaced only once the new one is complete.
    """
    tarball = paths.cache_dir() / "containers" / f"debian-{suite}-minbase.tar"
    if tarball.is_file() and not fresh:
        steps(f"{who}: reusing {tarball}")
        return tarball
    if not is_root():
        # debootstrap makes device nodes and chroots: only root can (and it lives in sbin).
        raise Unavailable(
            f"making the Debian {suite} base image (debootstrap) needs root",
            f"run as root: sudo {_argv_again()}; or give this user's engine the base image "
            f"another way: podman pull docker.io/library/debian:{suite} && "
            f"podman tag docker.io/library/debian:{suite} {DEBIAN_BASE}:{suite}",
        )
    debootstrap = shutil.which("debootstrap")
    if debootstrap is None:
        with steps.timed(f"{who}: install debootstrap (apt)"):
            apt_install(["debootstrap"], "a Debian base image made without a registry", steps)
        debootstrap = shutil.which("debootstrap")
        if debootstrap is None:
            raise ProvisionError("debootstrap is not installed", "apt-get install debootstrap")
    tarball.parent.mkdir(parents=True, exist_ok=True)
    partial = tarball.with_name(tarball.name + ".partial")
    tree = Path(tempfile.mkdtemp(prefix=f"harness-debian-{suite}-"))
    try:
        with steps.timed(f"{who}: debootstrap --variant=minbase {suite} ({DEBIAN_MIRROR})"):
            # Its own session: interrupted, its chroot's dpkg and apt go with it (procgroup).
            done = procgroup.run(
                [debootstrap, "--variant=minbase", suite, str(tree), DEBIAN_MIRROR], timeout=None
            )
            if done.returncode != 0:
                log = logs_dir() / f"debootstrap-{suite}.log"
                log.parent.mkdir(parents=True, exist_ok=True)
                log.write_text(done.stdout + done.stderr)
                raise ProvisionError(
                    f"debootstrap {suite} failed (exit {done.returncode}): "
                    f"{last_line(done.stderr)[:160]}",
                    f"see {log}; is {DEBIAN_MIRROR} reachable?",
                )
        with steps.timed(f"{who}: tar the tree into {tarball.name}"):
            done = procgroup.run(["tar", "-C", str(tree), "-cf", str(partial), "."], timeout=None)
            if done.returncode != 0:
                raise ProvisionError(f"tar of the Debian tree failed: {first_line(done.stderr)}")
            os.replace(partial, tarball)
    finally:
        partial.unlink(missing_ok=True)
        _unmount_under(tree)
        shutil.rmtree(tree, ignore_errors=True)
    return tarball


def debian_base(
    engine: Engine, suite: str, steps: Progress, who: str, hint: str, fresh: bool = False
) -> str:
    """``localhost/harness-debian:<suite>``, imported from a debootstrap tar when absent.

    ``fresh`` (a new sid day) makes a new tree and re-imports it under the same tag.
    ``hint`` is the command to retry with, shown when the import fails.
    """
    base = f"{DEBIAN_BASE}:{suite}"
    if image_id_of(engine, base) is not None and not fresh:
        steps(f"{who}: base image {base} present, reused")
        return base
    tarball = debootstrap_tarball(suite, steps, who, fresh=fresh)
    with steps.timed(f"{who}: {engine.name} import {tarball.name} as {base}"):
        done = engine.run(["import", str(tarball), base], timeout=600)
        if done.returncode != 0:
            raise ProvisionError(
                f"{engine.name} import of {tarball} failed: {last_line(done.stderr)}",
                f"delete {tarball} and retry: {hint}",
            )
    return base
