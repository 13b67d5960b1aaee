"""Jython in a container: the engine, its configuration, the image build, what runs inside.

The ``jython2.7`` interpreter can live in an image, ``localhost/harness-jython:2.7``,
built from ``containers/jython/`` in one of two ways:

``registry``
    a JRE base image (``eclipse-temurin:17-jre``) plus ``jython-standalone-2.7.4.jar``
    from Maven Central, pinned by sha256: what users with internet access get.
``offline``
    a Debian base image made here with ``debootstrap`` and imported into the
    engine, plus Debian's ``default-jre-headless`` and ``jython`` packages: only
    Debian's mirror is needed. This is the path on machines that reach no registry.

``HARNESS_JYTHON_BUILD=registry|offline`` chooses; otherwise the registry path is
taken when the engine can pull the base image (a failed pull is fast: DNS or
connection refused; a hung one is cut at 20 s) and the jar can be fetched, else
the offline path.

The engine is a docker whose daemon answers ``docker info``, else podman
(``HARNESS_CONTAINER_ENGINE`` overrides). Podman gets its settings from a
``containers.conf`` in the harness's cache (runc, lowered ulimits: crun fails on
hybrid cgroups here), passed as ``CONTAINERS_CONF`` to every engine invocation;
nothing under ``/etc`` is edited.

Public: :func:`discover_jython`, :func:`provision_image`, :func:`describe`,
:func:`find_engine`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness import paths
from harness.errors import ProvisionError, WorkerError
from harness.spec import MISSING, READY, ContainerRef, Interpreter

INTERPRETER_ID = "jython2.7"
IMAGE = "localhost/harness-jython:2.7"
PROVISION_HINT = f"python -m harness provision {INTERPRETER_ID}"
CONTAINER_DIR = paths.ROOT / "containers" / "jython"

REGISTRY_BASE = "docker.io/library/eclipse-temurin:17-jre"
JAR_NAME = "jython-standalone-2.7.4.jar"
JAR_URL = f"https://repo1.maven.org/maven2/org/python/jython-standalone/2.7.4/{JAR_NAME}"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
DEBIAN_BASE = "localhost/harness-debian"
# Used when the host is not Debian (its codename would mean nothing to Debian's mirror).
DEFAULT_SUITE = "bookworm"
ENGINE_PACKAGES = ("podman", "runc", "debootstrap")

PULL_TIMEOUT = 20.0
ANSWER_TIMEOUT = 10.0  # `docker info`, `image inspect`: an engine that answers does so quickly
BUILD_TIMEOUT = 1800.0

# Run inside the image (Jython 2.7 syntax) to learn the versions it holds.
_VERSIONS_SCRIPT = (
    "import sys, json\n"
    "from java.lang import System\n"
    "print(json.dumps({'jython_version': '%d.%d.%d' % tuple(sys.version_info[:3]),"
    " 'jython_sys_version': sys.version.split()[0],"
    " 'java_version': System.getProperty('java.version'),"
    " 'java_vm': System.getProperty('java.vm.name')}, sort_keys=True))\n"
)

Progress = Callable[[str], None]


# --------------------------------------------------------------------------- engine


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
        try:
            return subprocess.run(
                [self.path, *args],
                capture_output=True,
                text=True,
                timeout=timeout,
                env=self.environ(),
                check=False,
            )
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(
                [self.path, *args], 124, "", f"no answer within {timeout:.0f} s"
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


def write_containers_conf() -> Path:
    """Write (only when it changed) the harness's ``containers.conf``; return its path."""
    path = containers_conf_path()
    text = containers_conf_text("runc" if shutil.which("runc") else None)
    with contextlib.suppress(OSError):
        if path.read_text() == text:
            return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return path


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
        raise ProvisionError(
            "no container engine: docker's daemon does not answer and podman is not installed",
            PROVISION_HINT,
        )
    raise ProvisionError("no container engine (podman or docker) installed", PROVISION_HINT)


def _image_id(engine: Engine, image: str) -> str | None:
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
        f"{engine.name} does not answer: {_last_line(done.stderr) or f'exit {done.returncode}'}",
        f"check `{engine.name} info`",
    )


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _last_line(text: str) -> str:
    """The engine's error: podman and docker print progress first and the reason last."""
    return _first_line("\n".join(reversed(text.splitlines())))


# --------------------------------------------------------------------------- discovery


def _missing(reason: str, hint: str = PROVISION_HINT) -> Interpreter:
    return Interpreter(
        id=INTERPRETER_ID,
        implementation="jython",
        version="",
        gil="none",
        source="container",
        family="jython",
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
        image_id = _image_id(engine, IMAGE)
    except ProvisionError as exc:
        return _missing(exc.message)
    if image_id is None:
        return _missing(f"image {IMAGE} not built ({engine.name})")
    meta = _read_meta(image_id)
    version = str(meta.get("jython_version", ""))
    ref = engine.ref()
    return Interpreter(
        id=INTERPRETER_ID,
        implementation="jython",
        version=version,
        gil="none",
        source="container",
        family="jython",
        # Informative only: command() builds the real argv, with the mounts.
        argv=(engine.path, "run", "--rm", "--network=none", "-i", IMAGE, *ref.interpreter),
        status=READY,
        container=ref,
        notes=(f"{engine.name} image {IMAGE} ({image_id[:19]})",),
    )


def stop_container(argv: Sequence[str], env: Mapping[str, str]) -> None:
    """Remove the container that ``argv`` (from ``Interpreter.command()``) started, if any.

    Killing the engine's client (a worker's timeout) leaves the container
    running under the engine's monitor, a JVM burning a core: the runner calls
    this after such a kill. It finds the container by its ``--name``.
    """
    argv = list(argv)
    if "--name" not in argv or argv.index("--name") + 1 >= len(argv):
        return
    name = argv[argv.index("--name") + 1]
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        subprocess.run(
            [argv[0], "rm", "-f", name],
            capture_output=True,
            env=dict(env),
            timeout=60,
            check=False,
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
    path = _meta_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def _look_inside(engine: Engine, image_id: str) -> dict[str, object]:
    """Start the image once (no network) and read its Java and Jython versions."""
    done = engine.run(
        ["run", "--rm", "--network=none", image_id, "jython", "-c", _VERSIONS_SCRIPT],
        timeout=120,
    )
    if done.returncode != 0:
        raise WorkerError(
            f"{INTERPRETER_ID}: the container exited with status {done.returncode}: "
            f"{_last_line(done.stderr) or _last_line(done.stdout)}",
            f"rebuild the image: {engine.name} rmi {IMAGE} && {PROVISION_HINT}",
        )
    for line in reversed(done.stdout.splitlines()):
        with contextlib.suppress(ValueError):
            found = json.loads(line)
            if isinstance(found, dict) and "java_version" in found:
                return found
    raise WorkerError(
        f"{INTERPRETER_ID}: the container printed no version report: "
        f"{_first_line(done.stdout) or '(nothing)'}",
        f"rebuild the image: {engine.name} rmi {IMAGE} && {PROVISION_HINT}",
    )


def _engine_version(engine: Engine) -> str:
    # podman is its own engine; docker's client and daemon may differ: the daemon runs it.
    field = "{{.Client.Version}}" if engine.name == "podman" else "{{.Server.Version}}"
    done = engine.run(["version", "--format", field])
    return done.stdout.strip() if done.returncode == 0 else ""


def describe(interp: Interpreter) -> dict[str, object]:
    """Engine, image and versions behind a container entry, for the run's facts and metadata.

    Keys: ``engine``, ``engine_version``, ``image``, ``image_id``, ``build``,
    ``java_version``, ``java_vm``, ``jython_version``, ``jython_sys_version``.
    The versions come from running the image once; they are cached per image id.
    Returns {} for a local interpreter; raises ``WorkerError`` when the image is
    gone or the container cannot start.
    """
    ref = interp.container
    if ref is None:
        return {}
    name = "docker" if "docker" in os.path.basename(ref.engine) else "podman"
    engine = Engine(name, ref.engine, ref.engine_env)
    try:
        image_id = _image_id(engine, ref.image)
    except ProvisionError as exc:
        raise WorkerError(f"{interp.id}: {exc.message}", exc.hint) from None
    if image_id is None:
        raise WorkerError(f"{interp.id}: image {ref.image} is gone", PROVISION_HINT)
    meta = _read_meta(image_id)
    if "java_version" not in meta:
        meta = {"image_id": image_id, **_look_inside(engine, image_id)}
        meta["build"] = _label(engine, image_id, "org.gil-harness.build")
        _write_meta(meta)
    return {
        "engine": name,
        "engine_version": _engine_version(engine),
        "image": ref.image,
        "image_id": image_id,
        "build": meta.get("build", ""),
        "java_version": meta.get("java_version", ""),
        "java_vm": meta.get("java_vm", ""),
        "jython_version": meta.get("jython_version", ""),
        "jython_sys_version": meta.get("jython_sys_version", ""),
    }


def _label(engine: Engine, image: str, key: str) -> str:
    done = engine.run(
        ["image", "inspect", "--format", f'{{{{index .Config.Labels "{key}"}}}}', image]
    )
    value = done.stdout.strip() if done.returncode == 0 else ""
    return "" if value == "<no value>" else value


# --------------------------------------------------------------------------- provisioning


class _Steps:
    """Progress lines: each step's name when it starts, and its elapsed seconds when done."""

    def __init__(self, progress: Progress | None) -> None:
        self.say: Progress = progress or (lambda line: print(line, file=sys.stderr, flush=True))
        self.started = time.monotonic()

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.monotonic()
        self.say(f"{INTERPRETER_ID}: {name} ...")
        yield
        self.say(f"{INTERPRETER_ID}: {name}: done ({time.monotonic() - start:.1f} s)")

    def total(self) -> float:
        return time.monotonic() - self.started


def _apt_install(packages: Sequence[str], why: str, steps: _Steps) -> None:
    """Install Debian packages through the provisioning module, which owns apt."""
    from harness import provision

    provision.apt_install(list(packages), why, steps.say)


def _ensure_engine(steps: _Steps) -> Engine:
    try:
        engine = find_engine()
    except ProvisionError:
        if os.environ.get("HARNESS_CONTAINER_ENGINE"):
            raise
    else:
        # Podman without runc falls back to crun, which fails on this kind of
        # machine (cgroups in hybrid mode): install runc beside a podman that came alone.
        if engine.name == "podman" and shutil.which("runc") is None:
            from harness.provision import Unavailable

            try:
                with steps.step("install runc (apt): podman's crun fails here"):
                    _apt_install(["runc"], "podman's runtime", steps)
            except Unavailable as exc:
                steps.say(f"{INTERPRETER_ID}: runc not installed: {exc}")
            return find_engine()
        return engine
    with steps.step(f"install {' '.join(ENGINE_PACKAGES)} (apt)"):
        _apt_install(ENGINE_PACKAGES, "the Jython container image", steps)
    return find_engine()


def _build_mode(engine: Engine, steps: _Steps) -> str:
    chosen = os.environ.get("HARNESS_JYTHON_BUILD", "").strip().lower()
    if chosen in ("registry", "offline"):
        steps.say(f"{INTERPRETER_ID}: build mode {chosen} (HARNESS_JYTHON_BUILD)")
        return chosen
    if chosen:
        raise ProvisionError(
            f"HARNESS_JYTHON_BUILD={chosen!r} is not a build mode",
            "set it to registry or offline, or unset it",
        )
    with steps.step(f"pull {REGISTRY_BASE} (is a registry reachable?)"):
        done = engine.run(["pull", REGISTRY_BASE], timeout=PULL_TIMEOUT)
    if done.returncode == 0:
        steps.say(f"{INTERPRETER_ID}: build mode registry (the base image pulled)")
        return "registry"
    steps.say(
        f"{INTERPRETER_ID}: build mode offline (no registry: "
        f"{_last_line(done.stderr)[:120] or 'pull failed'})"
    )
    return "offline"


def provision_image(progress: Progress | None = None) -> None:
    """Make ``localhost/harness-jython:2.7`` exist: install the engine, build, check.

    ``progress`` receives one line per step (its name, then its elapsed seconds);
    ``None`` prints them to stderr. An image already there is reused. On failure
    every partial thing (temporary trees, half-written tarballs, the image if its
    check failed) is removed and ``ProvisionError`` names the step.
    """
    steps = _Steps(progress)
    engine = _ensure_engine(steps)
    image_id = _image_id(engine, IMAGE)
    if image_id is not None:
        steps.say(f"{INTERPRETER_ID}: image {IMAGE} present ({image_id[:12]}), reused")
        _check_image(engine, image_id, steps)
        return
    mode = _build_mode(engine, steps)
    if mode == "registry":
        _build_registry(engine, steps)
    else:
        _build_offline(engine, steps)
    image_id = _image_id(engine, IMAGE)
    if image_id is None:
        raise ProvisionError(f"{INTERPRETER_ID}: the build reported success but {IMAGE} is absent")
    try:
        _check_image(engine, image_id, steps)
    except (WorkerError, ProvisionError):
        engine.run(["rmi", "-f", IMAGE])
        raise
    steps.say(f"{INTERPRETER_ID}: image {IMAGE} ready ({steps.total():.0f} s in all)")


def _check_image(engine: Engine, image_id: str, steps: _Steps) -> None:
    meta = _read_meta(image_id)
    if "java_version" in meta:
        steps.say(
            f"{INTERPRETER_ID}: Jython {meta.get('jython_version')} "
            f"on Java {meta.get('java_version')}"
        )
        return
    with steps.step("start the image once (no network) and read its versions"):
        meta = {"image_id": image_id, **_look_inside(engine, image_id)}
        meta["build"] = _label(engine, image_id, "org.gil-harness.build")
        _write_meta(meta)
    steps.say(
        f"{INTERPRETER_ID}: Jython {meta.get('jython_version')} on Java {meta.get('java_version')}"
    )


def _engine_build(
    engine: Engine, steps: _Steps, containerfile: str, context: Path, build_args: dict[str, str]
) -> None:
    """``engine build`` with the build's output in a log file; STEP lines go to progress."""
    log = paths.cache_dir() / "logs" / "jython-image-build.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    argv = [engine.path, "build", "--force-rm", "-t", IMAGE, "-f", str(context / containerfile)]
    if engine.name == "podman":
        # Without intermediate images a failed build leaves nothing behind (docker's
        # BuildKit keeps its cache out of the image list anyway).
        argv.append("--layers=false")
    for key, value in build_args.items():
        argv += ["--build-arg", f"{key}={value}"]
    argv.append(str(context))
    with log.open("w") as out:
        out.write("$ " + " ".join(argv) + "\n")
        out.flush()
        with subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=engine.environ(),
        ) as proc:  # fmt: skip
            assert proc.stdout is not None
            # A build that hangs without printing is still cut at BUILD_TIMEOUT.
            watchdog = threading.Timer(BUILD_TIMEOUT, proc.kill)
            watchdog.start()
            try:
                for line in proc.stdout:
                    out.write(line)
                    # podman/buildah and docker's classic builder announce steps so.
                    if line.startswith(("STEP ", "Step ")):
                        steps.say(f"{INTERPRETER_ID}:   {line.rstrip()[:140]}")
                status = proc.wait()
            except BaseException:
                proc.kill()
                raise
            finally:
                watchdog.cancel()
    if status != 0:
        tail = [x for x in log.read_text().splitlines() if x.strip()][-1:]
        raise ProvisionError(
            f"{INTERPRETER_ID}: image build failed ({engine.name} build exit {status}"
            + (f": {tail[0].strip()[:160]}" if tail else "")
            + ")",
            f"see {log}",
        )


# ----- registry


def _pinned_sha256() -> str:
    pin = CONTAINER_DIR / f"{JAR_NAME}.sha256"
    words = pin.read_text().split()
    if not words or len(words[0]) != 64:
        raise ProvisionError(f"no sha256 in {pin}", "put the jar's sha256 (64 hex digits) there")
    return words[0].lower()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fetch_jar(steps: _Steps) -> Path:
    """The pinned standalone jar, from the cache or Maven Central, checked by sha256."""
    expected = _pinned_sha256()
    cached = paths.cache_dir() / "downloads" / JAR_NAME
    if cached.is_file() and _sha256(cached) == expected:
        return cached
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_name(cached.name + ".partial")
    with steps.step(f"download {JAR_URL}"):
        try:
            with urllib.request.urlopen(JAR_URL, timeout=60) as resp, partial.open("wb") as f:
                shutil.copyfileobj(resp, f)
            got = _sha256(partial)
            if got != expected:
                raise ProvisionError(
                    f"{JAR_NAME}: sha256 {got} is not the pinned {expected}",
                    f"check {CONTAINER_DIR / (JAR_NAME + '.sha256')} against Maven Central",
                )
            os.replace(partial, cached)
        except OSError as exc:
            raise ProvisionError(
                f"cannot download {JAR_NAME}: {exc}",
                "HARNESS_JYTHON_BUILD=offline builds from Debian's packages instead",
            ) from None
        finally:
            partial.unlink(missing_ok=True)
    return cached


def _build_registry(engine: Engine, steps: _Steps) -> None:
    jar = _fetch_jar(steps)
    with tempfile.TemporaryDirectory(prefix="harness-jython-build-") as tmp:
        context = Path(tmp)
        for name in ("Containerfile", "jython", f"{JAR_NAME}.sha256"):
            shutil.copy2(CONTAINER_DIR / name, context / name)
        shutil.copy2(jar, context / JAR_NAME)
        with steps.step(f"{engine.name} build {IMAGE} (registry: {REGISTRY_BASE} + {JAR_NAME})"):
            _engine_build(engine, steps, "Containerfile", context, {"BASE": REGISTRY_BASE})


# ----- offline


def host_suite() -> str:
    """The Debian suite the base image is made from: the host's codename when it is Debian.

    ``HARNESS_DEBIAN_SUITE`` overrides.
    """
    explicit = os.environ.get("HARNESS_DEBIAN_SUITE", "").strip()
    if explicit:
        return explicit
    fields: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep:
                fields[key.strip()] = value.strip().strip('"')
    if fields.get("ID") == "debian" and fields.get("VERSION_CODENAME"):
        return fields["VERSION_CODENAME"]
    return DEFAULT_SUITE


def _unmount_under(root: Path) -> None:
    """Unmount whatever a failed debootstrap left mounted (proc, sys) before deleting the tree."""
    with contextlib.suppress(OSError):
        mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines() if line]
        prefix = str(root.resolve()) + "/"
        for mount in sorted((m for m in mounts if m.startswith(prefix)), reverse=True):
            subprocess.run(["umount", "-l", mount], capture_output=True, check=False)


def _debootstrap_tarball(suite: str, steps: _Steps) -> Path:
    """A tar of a minbase Debian tree for ``suite``, cached under ``cache_dir()/containers``."""
    tarball = paths.cache_dir() / "containers" / f"debian-{suite}-minbase.tar"
    if tarball.is_file():
        steps.say(f"{INTERPRETER_ID}: reusing {tarball}")
        return tarball
    debootstrap = shutil.which("debootstrap")
    if debootstrap is None:
        with steps.step("install debootstrap (apt)"):
            _apt_install(["debootstrap"], "a Debian base image made without a registry", steps)
        debootstrap = shutil.which("debootstrap")
        if debootstrap is None:
            raise ProvisionError("debootstrap is not installed", "apt-get install debootstrap")
    tarball.parent.mkdir(parents=True, exist_ok=True)
    partial = tarball.with_name(tarball.name + ".partial")
    tree = Path(tempfile.mkdtemp(prefix=f"harness-debian-{suite}-"))
    try:
        with steps.step(f"debootstrap --variant=minbase {suite} ({DEBIAN_MIRROR})"):
            done = subprocess.run(
                [debootstrap, "--variant=minbase", suite, str(tree), DEBIAN_MIRROR],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                log = paths.cache_dir() / "logs" / "debootstrap.log"
                log.parent.mkdir(parents=True, exist_ok=True)
                log.write_text(done.stdout + done.stderr)
                raise ProvisionError(
                    f"debootstrap {suite} failed (exit {done.returncode}): "
                    f"{_last_line(done.stderr)[:160]}",
                    f"see {log}; is {DEBIAN_MIRROR} reachable?",
                )
        with steps.step(f"tar the tree into {tarball.name}"):
            done = subprocess.run(
                ["tar", "-C", str(tree), "-cf", str(partial), "."],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise ProvisionError(f"tar of the Debian tree failed: {_first_line(done.stderr)}")
            os.replace(partial, tarball)
    finally:
        partial.unlink(missing_ok=True)
        _unmount_under(tree)
        shutil.rmtree(tree, ignore_errors=True)
    return tarball


def _build_offline(engine: Engine, steps: _Steps) -> None:
    suite = host_suite()
    base = f"{DEBIAN_BASE}:{suite}"
    if _image_id(engine, base) is None:
        tarball = _debootstrap_tarball(suite, steps)
        with steps.step(f"{engine.name} import {tarball.name} as {base}"):
            done = engine.run(["import", str(tarball), base], timeout=600)
            if done.returncode != 0:
                raise ProvisionError(
                    f"{engine.name} import of {tarball} failed: {_last_line(done.stderr)}",
                    f"delete {tarball} and retry: {PROVISION_HINT}",
                )
    else:
        steps.say(f"{INTERPRETER_ID}: base image {base} present, reused")
    with tempfile.TemporaryDirectory(prefix="harness-jython-build-") as tmp:
        context = Path(tmp)
        shutil.copy2(CONTAINER_DIR / "Containerfile.debian", context / "Containerfile.debian")
        with steps.step(f"{engine.name} build {IMAGE} (offline: {base} + Debian's jython)"):
            _engine_build(engine, steps, "Containerfile.debian", context, {"BASE": base})
