"""Jython in a container: the engine, its configuration, describing containers.

The ``jython2.7`` interpreter can live in an image, ``localhost/harness-jython:2.7``,
built by ``harness.provision.jython`` from ``containers/jython/``.

The engine is a docker whose daemon answers ``docker info``, else podman
(``HARNESS_CONTAINER_ENGINE`` overrides). Podman gets its settings from a
``containers.conf`` in the harness's cache (runc, lowered ulimits: crun fails on
hybrid cgroups here), passed as ``CONTAINERS_CONF`` to every engine invocation;
nothing under ``/etc`` is edited.

Public: :func:`discover_jython`, :func:`describe`, :func:`find_engine`,
:func:`check_mounts`, and for the image build :func:`image_id_of`, :func:`image_versions`.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness import kinds, paths, procgroup
from harness.errors import ProvisionError, WorkerError
from harness.fileutil import atomic_write_text
from harness.spec import (
    MISSING,
    READY,
    ContainerRef,
    Interpreter,
    container_name,
    container_run_flags,
    container_user,
)

INTERPRETER_ID = "jython2.7"
IMAGE = "localhost/harness-jython:2.7"
PROVISION_HINT = f"python -m harness provision {INTERPRETER_ID}"
_KIND = kinds.kind_of(INTERPRETER_ID)

# Without an engine: `provision jython2.7` installs podman with apt (images.ensure_engine).
NO_ENGINE_HINT = (f"{PROVISION_HINT} installs podman (apt) and builds the image; "
                  "or install docker and start its daemon")
# What a local Jython standing in for the image says, in its notes and in a run's facts.
FALLBACK = "local jython"
_FALLBACK_NOTE = "the local Jython, not the container image: "

ANSWER_TIMEOUT = 10.0  # `docker info`, `image inspect`: an engine that answers does so quickly

# Run inside the image (Jython 2.7 syntax) to learn the versions it holds.
_VERSIONS_SCRIPT = (
    "import sys, json\n"
    "from java.lang import System\n"
    "print(json.dumps({'jython_version': '%d.%d.%d' % tuple(sys.version_info[:3]),"
    " 'jython_sys_version': sys.version.split()[0],"
    " 'java_version': System.getProperty('java.version'),"
    " 'java_vm': System.getProperty('java.vm.name')}, sort_keys=True))\n"
)



# --------------------------------------------------------------------------- engine


class NoEngine(ProvisionError):
    """No container engine here: neither podman nor a docker whose daemon answers."""


@dataclass(frozen=True)
class Engine:
    """A container engine the harness can call: its name, binary and extra environment."""

    name: str  # "podman" | "docker"
    path: str
    env: tuple[tuple[str, str], ...] = ()

    def environ(self) -> dict[str, str]:
        """The environment for an engine invocation: ours plus the engine's settings."""
        env = dict(os.environ)
        env.update(self.env)
        return env

    def run(
        self, args: Sequence[str], timeout: float = ANSWER_TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        """Run ``engine args`` and capture its output (text); an engine that hangs is killed."""
        # Its own session, killed with its group (and a `run`'s container removed by its
        # name) on timeout, Ctrl-C, SIGTERM or SIGHUP: harness.procgroup.
        argv = [self.path, *args]
        try:
            return procgroup.run(
                argv, timeout=timeout, env=self.environ(), name=procgroup.container_name(argv)
            )
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(argv, 124, "", f"no answer within {timeout:.0f} s")
        except OSError as exc:
            return subprocess.CompletedProcess(argv, 127, "", f"cannot run {self.path}: {exc}")

    def run_image(
        self, image: str, command: Sequence[str], timeout: float
    ) -> subprocess.CompletedProcess[str]:
        """Start ``image`` once, confined as a worker is (``spec.container_run_flags``)."""
        return self.run(
            ["run", "--rm", *container_run_flags(self.path), "--name", container_name(), image,
             *command],
            timeout=timeout,
        )

    def ref(self) -> ContainerRef:
        """The ``ContainerRef`` of the Jython image on this engine."""
        return ContainerRef(engine=self.path, image=IMAGE, engine_env=self.env)


def containers_conf_path() -> Path:
    """Where the harness keeps podman's settings: ``cache_dir()/containers.conf``."""
    return paths.cache_dir() / "containers.conf"


def containers_conf_text(runtime: str | None) -> str:
    """The ``containers.conf`` podman runs with.

    ``runtime`` is ``"runc"`` where runc is installed: crun fails on hosts with
    cgroups in hybrid mode; elsewhere the engine's default runtime is kept.
    """
    lines = [
        "# Written by the gil-harness (harness/container.py); passed as CONTAINERS_CONF.",
        "# Lowered ulimits: the defaults fail to apply in some VMs (RLIMIT_NOFILE).",
        "[containers]",
        'default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]',
    ]
    if runtime:
        lines += ["", "[engine]", f'runtime = "{runtime}"']
    return "\n".join(lines) + "\n"


_FALLBACK_CONF: list[Path] = []


def write_containers_conf() -> Path:
    """Write (only when it changed) the harness's ``containers.conf``; return its path."""
    path = containers_conf_path()
    text = containers_conf_text("runc" if shutil.which("runc") else None)
    with contextlib.suppress(OSError):
        if path.read_text() == text:
            return path
    try:
        atomic_write_text(path, text)
    except OSError:  # an unusable cache folder: `interpreters` still lists (run says why)
        return _private_conf(text)
    return path


def _private_conf(text: str) -> Path:
    """The same configuration in a private temporary folder, made once per process."""
    if not _FALLBACK_CONF:
        folder = Path(tempfile.mkdtemp(prefix="gil-harness-"))
        # Removed when the harness exits (an error, Ctrl-C and SIGTERM included), or
        # by the watchdog when it is SIGKILLed.
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        procgroup.remove_when_killed(str(folder))
        atomic_write_text(folder / "containers.conf", text)
        _FALLBACK_CONF.append(folder / "containers.conf")
    return _FALLBACK_CONF[0]


def _podman(path: str) -> Engine:
    return Engine("podman", path, (("CONTAINERS_CONF", str(write_containers_conf())),))


def _docker_answers(path: str) -> bool:
    try:
        done = subprocess.run(
            [path, "info"], capture_output=True, timeout=ANSWER_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def find_engine() -> Engine:
    """The container engine to use, or ``ProvisionError`` saying why there is none.

    ``HARNESS_CONTAINER_ENGINE`` (a name or a path) wins; then a docker whose
    daemon answers; then podman (daemonless: whether it works shows on first use).
    """
    override = os.environ.get("HARNESS_CONTAINER_ENGINE", "").strip()
    if override:
        path = shutil.which(override)
        if path is None:
            raise ProvisionError(
                f"container engine {override!r} not found",
                "fix or unset HARNESS_CONTAINER_ENGINE",
            )
        if "docker" in os.path.basename(path):
            return Engine("docker", path)
        return _podman(path)
    docker = shutil.which("docker")
    if docker and _docker_answers(docker):
        return Engine("docker", docker)
    podman = shutil.which("podman")
    if podman:
        return _podman(podman)
    if docker:
        raise NoEngine(
            "no container engine: docker's daemon does not answer and podman is not installed",
            NO_ENGINE_HINT,
        )
    raise NoEngine("no container engine (podman or docker) installed", NO_ENGINE_HINT)


def image_id_of(engine: Engine, image: str) -> str | None:
    """The image's id, or None when the engine says it has no such image.

    An engine that fails for another reason raises ``ProvisionError``.
    """
    done = engine.run(["image", "inspect", "--format", "{{.Id}}", image])
    if done.returncode == 0 and done.stdout.strip():
        return done.stdout.strip().splitlines()[0]
    err = done.stderr.lower()
    if "no such" in err or "not known" in err or "not found" in err:
        return None
    raise ProvisionError(
        f"{engine.name} does not answer: {last_line(done.stderr) or f'exit {done.returncode}'}",
        f"check `{engine.name} info`",
    )


def first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def last_line(text: str) -> str:
    """The engine's error: podman and docker print progress first and the reason last."""
    return first_line("\n".join(reversed(text.splitlines())))


# --------------------------------------------------------------------------- discovery


def _missing(reason: str, hint: str = PROVISION_HINT) -> Interpreter:
    return Interpreter(
        id=INTERPRETER_ID,
        implementation=_KIND.implementation,
        version="",
        gil=_KIND.gil,
        source="container",
        family=_KIND.family,
        status=MISSING,
        hint=hint,
        notes=(reason,),
    )


def discover_jython() -> Interpreter:
    """The ``jython2.7`` container entry: ready when the image exists and the engine answers.

    Missing otherwise, with the reason in ``notes`` and the provisioning command as hint.
    """
    try:
        engine = find_engine()
        image_id = image_id_of(engine, IMAGE)
    except ProvisionError as exc:
        return _missing(exc.message, exc.hint or PROVISION_HINT)
    if image_id is None:
        return _missing(f"image {IMAGE} not built ({engine.name})")
    meta = _read_meta(image_id)
    version = str(meta.get("jython_version", ""))
    ref = engine.ref()
    return Interpreter(
        id=INTERPRETER_ID,
        implementation=_KIND.implementation,
        version=version,
        gil=_KIND.gil,
        source="container",
        family=_KIND.family,
        # Informative only: command() builds the real argv, with the mounts.
        argv=(engine.path, "run", "--rm", "--network=none", "-i", IMAGE, *ref.interpreter),
        status=READY,
        container=ref,
        notes=(f"{engine.name} image {IMAGE} ({image_id[:19]})",),
    )


def fallback_note(boxed: Interpreter) -> str:
    """The note of a local Jython that runs as ``jython2.7`` because the image is not ready."""
    why = "; ".join(boxed.notes) or f"image {IMAGE} not built"
    return f"{_FALLBACK_NOTE}{why}" + (f" ({boxed.hint})" if boxed.hint else "")


def fallback_facts(interp: Interpreter) -> dict[str, object]:
    """A run's ``facts.container`` for a local Jython standing in for the image ({} otherwise)."""
    for note in interp.notes:
        if interp.container is None and note.startswith(_FALLBACK_NOTE):
            return {"fallback": FALLBACK, "why": note[len(_FALLBACK_NOTE):],
                    "binary": interp.argv[0] if interp.argv else ""}
    return {}


# --------------------------------------------------------------------------- mounts

_MOUNT_CHECK_LIMIT = 5000  # entries looked at per folder: a workloads folder holds a few


def _readable(st: os.stat_result, uid: int, gid: int, need: int) -> bool:
    """Whether ``uid``/``gid`` have the ``need`` bits (4 read, 1 search) on a file by its mode."""
    if st.st_uid == uid:
        return st.st_mode & (need << 6) == need << 6
    if st.st_gid == gid:
        return st.st_mode & (need << 3) == need << 3
    return st.st_mode & need == need


def unreadable_in(folder: Path, uid: int, gid: int) -> Path | None:
    """The first folder or file under ``folder`` that ``uid``/``gid`` could not read, or None."""
    seen = 0
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        # Compiled caches (a local Jython's 0600 $py.class files) are skipped when unreadable.
        files = [f for f in files if not f.endswith((".pyc", "$py.class"))]
        for path, need in [(Path(root), 5), *((Path(root) / f, 4) for f in files)]:
            seen += 1
            if seen > _MOUNT_CHECK_LIMIT:
                return None
            with contextlib.suppress(OSError):
                if not _readable(path.stat(), uid, gid, need):
                    return path
    return None


def check_mounts(folders: Sequence[Path]) -> None:
    """``WorkerError`` when the container's user could not read a folder mounted into it.

    Only when the harness runs as root: the container then runs as nobody
    (``spec.container_user``), which reads what others may read.
    """
    uid, gid = container_user()
    if uid == os.geteuid():
        return
    for folder in folders:
        bad = unreadable_in(folder, uid, gid)
        if bad is not None:
            # The fix in the message itself: a run's failure list shows only the message.
            raise WorkerError(
                f"the container runs as uid {uid} (not root) and cannot read {bad}: "
                f"chmod -R o+rX {folder}, or run the harness as a non-root user"
            )


# --------------------------------------------------------------------------- describe


def _meta_path() -> Path:
    return paths.cache_dir() / "containers" / "harness-jython.json"


def _read_meta(image_id: str) -> dict[str, object]:
    """What a previous look inside this very image found (versions), or {}."""
    try:
        data = json.loads(_meta_path().read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("image_id") != image_id:
        return {}
    return data


def _write_meta(data: dict[str, object]) -> None:
    atomic_write_text(_meta_path(), json.dumps(data, indent=2, sort_keys=True) + "\n")


def _look_inside(engine: Engine, image_id: str) -> dict[str, object]:
    """Start the image once (no network) and read its Java and Jython versions."""
    done = engine.run_image(image_id, ["jython", "-c", _VERSIONS_SCRIPT], timeout=120)
    if done.returncode != 0:
        raise WorkerError(
            f"{INTERPRETER_ID}: the container exited with status {done.returncode}: "
            f"{last_line(done.stderr) or last_line(done.stdout)}",
            f"rebuild the image: {engine.name} rmi {IMAGE} && {PROVISION_HINT}",
        )
    for line in reversed(done.stdout.splitlines()):
        with contextlib.suppress(ValueError):
            found = json.loads(line)
            if isinstance(found, dict) and "java_version" in found:
                return found
    raise WorkerError(
        f"{INTERPRETER_ID}: the container printed no version report: "
        f"{first_line(done.stdout) or '(nothing)'}",
        f"rebuild the image: {engine.name} rmi {IMAGE} && {PROVISION_HINT}",
    )


def image_versions(engine: Engine, image_id: str) -> dict[str, object]:
    """Java and Jython versions inside the image (and its build label), cached per image id.

    Starts the image once (no network) when the cache does not know this image.
    """
    meta = _read_meta(image_id)
    if "java_version" not in meta:
        meta = {"image_id": image_id, **_look_inside(engine, image_id)}
        meta["build"] = label(engine, image_id, "org.gil-harness.build")
        _write_meta(meta)
    return meta


def engine_version(engine: Engine) -> str:
    """The engine's version (podman's client is the engine; docker's daemon runs containers)."""
    field = "{{.Client.Version}}" if engine.name == "podman" else "{{.Server.Version}}"
    done = engine.run(["version", "--format", field])
    return done.stdout.strip() if done.returncode == 0 else ""


def entry_image(interp: Interpreter, hint: str) -> tuple[Engine, str]:
    """The engine and the image id behind a container entry (``WorkerError`` when gone)."""
    ref = interp.container
    if ref is None:
        raise WorkerError(f"{interp.id} is not a container entry")
    name = "docker" if "docker" in os.path.basename(ref.engine) else "podman"
    engine = Engine(name, ref.engine, ref.engine_env)
    try:
        image_id = image_id_of(engine, ref.image)
    except ProvisionError as exc:
        raise WorkerError(f"{interp.id}: {exc.message}", exc.hint) from None
    if image_id is None:
        raise WorkerError(f"{interp.id}: image {ref.image} is gone", hint)
    return engine, image_id


def image_facts(engine: Engine, image_id: str, image: str,
                build: str | None = None) -> dict[str, object]:
    """What every container entry's facts say: engine and version, image, id, build label."""
    return {
        "engine": engine.name,
        "engine_version": engine_version(engine),
        "image": image,
        "image_id": image_id,
        "build": label(engine, image_id, "org.gil-harness.build") if build is None else build,
        # How every container of the run was confined (besides the read-only mounts).
        "run_flags": container_run_flags(engine.path),
    }


def describe(interp: Interpreter) -> dict[str, object]:
    """Engine, image and versions behind a container entry, for the run's facts and metadata.

    Keys: ``engine``, ``engine_version``, ``image``, ``image_id``, ``build``; for
    the Jython image also ``java_version``, ``java_vm``, ``jython_version``,
    ``jython_sys_version``, from running the image once (cached per image id).
    For a local Jython that stands in for the image: ``fallback`` ("local
    jython"), ``why`` and ``binary``. Returns {} for any other local interpreter;
    raises ``WorkerError`` when the image is gone or the container cannot start.
    """
    ref = interp.container
    if ref is None:
        return fallback_facts(interp)
    engine, image_id = entry_image(interp, PROVISION_HINT)
    if ref.image != IMAGE:  # a user's image: nothing Jython to ask it
        return image_facts(engine, image_id, ref.image)
    meta = image_versions(engine, image_id)
    return {
        **image_facts(engine, image_id, ref.image, str(meta.get("build", ""))),
        "java_version": meta.get("java_version", ""),
        "java_vm": meta.get("java_vm", ""),
        "jython_version": meta.get("jython_version", ""),
        "jython_sys_version": meta.get("jython_sys_version", ""),
    }


def label(engine: Engine, image: str, key: str) -> str:
    """One label of an image ("" when absent)."""
    done = engine.run(
        ["image", "inspect", "--format", f'{{{{index .Config.Labels "{key}"}}}}', image]
    )
    value = done.stdout.strip() if done.returncode == 0 else ""
    return "" if value == "<no value>" else value
