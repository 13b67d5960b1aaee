"""Jython in a container: engine detection, podman's settings, the run argv, the real image.

The unit tests put fake ``docker`` / ``podman`` / ``runc`` scripts first on PATH
(the one seam: which binaries exist and what they answer). The tests marked
``container`` use the real engine and the real image, building it when it is
missing; they skip only when no engine is usable at all.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import skip_unless_provisioned

from harness import container, interpreters, paths
from harness.errors import ProvisionError, WorkerError
from harness.fileutil import sha256_of
from harness.provision import jython as jython_image
from harness.spec import (
    CONTAINER_SCRIPTS,
    CONTAINER_WORKLOADS,
    Interpreter,
    container_pids_limit,
    container_run_flags,
    container_user,
)

REPO = Path(__file__).resolve().parents[1]  # the checkout: commands run from it

FAKE_ENGINE = """\
#!/bin/sh
# A fake container engine: what it answers comes from the environment.
case "$1" in
  info) exit "${FAKE_INFO_RC:-1}" ;;
  image)
    if [ -n "$FAKE_IMAGE_ID" ]; then echo "$FAKE_IMAGE_ID"; exit 0; fi
    echo "Error: $5: image not known" >&2; exit 125 ;;
  version) echo 9.9.9 ;;
  run) printf '%s\\n' "$FAKE_RUN_STDOUT"; echo "$FAKE_RUN_STDERR" >&2; exit "${FAKE_RUN_RC:-0}" ;;
esac
exit 0
"""


@pytest.fixture
def fake_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty PATH of fakes and a private cache; add binaries with ``_fake(bin, name)``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    for var in ("HARNESS_CONTAINER_ENGINE", "HARNESS_JYTHON_BUILD", "FAKE_IMAGE_ID"):
        monkeypatch.delenv(var, raising=False)
    return bin_dir


def _fake(bin_dir: Path, name: str, text: str = FAKE_ENGINE) -> Path:
    path = bin_dir / name
    path.write_text(text)
    path.chmod(0o755)
    return path


# --------------------------------------------------------------------------- engine detection


def test_docker_is_used_when_its_daemon_answers(
    fake_bin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake(fake_bin, "docker")
    _fake(fake_bin, "podman")
    monkeypatch.setenv("FAKE_INFO_RC", "0")
    engine = container.find_engine()
    assert engine.name == "docker"
    assert engine.path == str(fake_bin / "docker")
    assert engine.env == ()  # docker takes no containers.conf


def test_podman_is_used_when_docker_has_no_daemon(fake_bin: Path) -> None:
    _fake(fake_bin, "docker")  # FAKE_INFO_RC unset: `docker info` fails, as here
    _fake(fake_bin, "podman")
    engine = container.find_engine()
    assert engine.name == "podman"
    conf = container.containers_conf_path()
    assert dict(engine.env) == {"CONTAINERS_CONF": str(conf)}
    assert conf.is_relative_to(paths.cache_dir())
    text = conf.read_text()
    assert 'default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]' in text
    assert "runtime" not in text  # no runc on PATH: the engine's own default stays


def test_containers_conf_asks_for_runc_when_installed(fake_bin: Path) -> None:
    _fake(fake_bin, "podman")
    _fake(fake_bin, "runc")
    container.find_engine()
    text = container.containers_conf_path().read_text()
    assert '[engine]\nruntime = "runc"' in text


def test_engine_override_wins_and_a_bad_one_is_one_clear_error(
    fake_bin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake(fake_bin, "docker")
    _fake(fake_bin, "podman")
    monkeypatch.setenv("FAKE_INFO_RC", "0")
    monkeypatch.setenv("HARNESS_CONTAINER_ENGINE", "podman")
    assert container.find_engine().name == "podman"
    monkeypatch.setenv("HARNESS_CONTAINER_ENGINE", "nerdctl-absent")
    with pytest.raises(ProvisionError, match="nerdctl-absent.*not found"):
        container.find_engine()
    entry = container.discover_jython()
    assert entry.status == "missing"
    assert "not found" in entry.notes[0]


def test_no_engine_means_a_missing_entry_with_the_provision_command(fake_bin: Path) -> None:
    entry = container.discover_jython()
    assert entry.id == "jython2.7"
    assert entry.status == "missing"
    assert entry.hint == container.NO_ENGINE_HINT
    assert "no container engine" in entry.notes[0]


def test_without_an_engine_the_jython_row_names_the_engine(fake_bin: Path) -> None:
    """No engine and no local Jython: the row says the engine is missing and how to get it."""
    rows = {i.id: i for i in interpreters._merge_jython(None, container.discover_jython(), {})}
    assert rows["jython2.7"].status == "missing"
    assert rows["jython2.7"].hint == container.NO_ENGINE_HINT
    assert "podman (apt)" in rows["jython2.7"].hint and "docker" in rows["jython2.7"].hint
    table = interpreters.format_table(rows.values())
    assert "no container engine (podman or docker) installed" in table
    assert "apt-get install -y jython" not in table


def test_a_local_jython_standing_in_for_the_image_says_so(fake_bin: Path) -> None:
    """No engine, a local Jython: it runs as jython2.7, its note and its facts say why."""
    local = Interpreter(id="jython2.7", implementation="jython", version="2.7.3", gil="none",
                        source="apt", family="jython", argv=("/usr/bin/jython",))
    rows = {i.id: i for i in interpreters._merge_jython(local, container.discover_jython(), {})}
    assert rows["jython2.7"].ready and rows["jython2.7"].container is None
    assert rows["jython2.7-container"].status == "missing"
    facts = container.describe(rows["jython2.7"])
    assert facts["fallback"] == container.FALLBACK == "local jython"
    assert str(facts["why"]).startswith("no container engine (podman or docker) installed")
    assert facts["binary"] == "/usr/bin/jython"
    assert container.describe(local) == {}  # a local Jython asked for as such: no fallback


def test_missing_image_means_a_missing_entry(fake_bin: Path) -> None:
    _fake(fake_bin, "podman")
    entry = container.discover_jython()
    assert entry.status == "missing"
    assert entry.hint == container.PROVISION_HINT
    assert "not built" in entry.notes[0]


# --------------------------------------------------------------------------- the run argv


def test_ready_entry_runs_with_no_network_and_two_read_only_mounts(
    fake_bin: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _fake(fake_bin, "podman")
    monkeypatch.setenv("FAKE_IMAGE_ID", "sha256:abc123")
    entry = container.discover_jython()
    assert entry.ready
    assert (entry.id, entry.implementation, entry.gil, entry.source) == (
        "jython2.7",
        "jython",
        "none",
        "container",
    )
    script = tmp_path / "worker.py"
    workloads = tmp_path / "workloads"
    argv = entry.command(script, ["--workload", "countdown"], workloads)
    assert argv[:2] == [str(fake_bin / "podman"), "run"]
    assert "--rm" in argv and "--network=none" in argv
    mounts = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--mount"]
    # The scripts' folder, not the single file: the worker imports the probe beside it.
    assert mounts == [
        f"type=bind,source={tmp_path},target={CONTAINER_SCRIPTS},ro",
        f"type=bind,source={workloads},target={CONTAINER_WORKLOADS},ro",
    ]
    image_at = argv.index(container.IMAGE)
    assert argv[image_at + 1 :] == [
        "jython",
        "/harness/worker.py",
        "--workload",
        "countdown",
        "--workloads",
        CONTAINER_WORKLOADS,
    ]
    env = entry.environ({"PATH": "/usr/bin"})
    assert env["CONTAINERS_CONF"] == str(container.containers_conf_path())


def test_describe_reads_versions_once_per_image(
    fake_bin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake(fake_bin, "podman")
    monkeypatch.setenv("FAKE_IMAGE_ID", "sha256:abc123")
    report = {"java_version": "17.0.9", "java_vm": "VM", "jython_version": "2.7.3"}
    report["jython_sys_version"] = "2.7.3-DEV"
    monkeypatch.setenv("FAKE_RUN_STDOUT", "*sys-package-mgr*: noise\n" + json.dumps(report))
    facts = container.describe(container.discover_jython())
    assert facts["engine"] == "podman"
    assert facts["engine_version"] == "9.9.9"
    assert facts["image_id"] == "sha256:abc123"
    assert (facts["java_version"], facts["jython_version"]) == ("17.0.9", "2.7.3")
    monkeypatch.setenv("FAKE_RUN_RC", "1")  # cached: the image is not started again
    assert container.describe(container.discover_jython())["java_version"] == "17.0.9"
    assert container.discover_jython().version == "2.7.3"


@pytest.mark.parametrize(
    ("stdout", "rc", "message"),
    [
        ("garbage, not JSON", "0", "printed no version report: garbage"),
        ("", "3", "exited with status 3: Exception in thread main"),
    ],
)
def test_a_broken_container_is_one_clear_error(
    fake_bin: Path, monkeypatch: pytest.MonkeyPatch, stdout: str, rc: str, message: str
) -> None:
    _fake(fake_bin, "podman")
    monkeypatch.setenv("FAKE_IMAGE_ID", "sha256:abc123")
    monkeypatch.setenv("FAKE_RUN_STDOUT", stdout)
    monkeypatch.setenv("FAKE_RUN_STDERR", "Exception in thread main")
    monkeypatch.setenv("FAKE_RUN_RC", rc)
    with pytest.raises(WorkerError, match=message) as err:
        container.describe(container.discover_jython())
    assert "\n" not in str(err.value)
    assert container.PROVISION_HINT in str(err.value)


def test_describe_of_a_users_image_does_not_run_jython(
    fake_bin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user's `image = ...` entry gets the engine and image facts, never a Jython probe."""
    _fake(fake_bin, "podman")
    monkeypatch.setenv("FAKE_IMAGE_ID", "sha256:def456")
    monkeypatch.setenv("FAKE_RUN_RC", "1")  # starting the image would fail the describe
    jython = container.discover_jython()
    assert jython.container is not None
    ref = dataclasses.replace(jython.container, image="python:3.12-slim",
                              interpreter=("python3",))
    user = dataclasses.replace(jython, id="3.12-docker", container=ref)
    facts = container.describe(user)
    assert facts["image"] == "python:3.12-slim" and facts["image_id"] == "sha256:def456"
    assert "java_version" not in facts


def test_describe_of_a_local_interpreter_is_empty() -> None:
    local = Interpreter("3.13", "cpython", "3.13.0", "on", "PATH", "cpython", ("python3.13",))
    assert container.describe(local) == {}


def test_an_unknown_build_mode_is_refused(fake_bin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake(fake_bin, "podman")
    monkeypatch.setenv("HARNESS_JYTHON_BUILD", "sideways")
    lines: list[str] = []
    with pytest.raises(ProvisionError, match="HARNESS_JYTHON_BUILD='sideways'"):
        jython_image.provision_image(lines.append)


def test_a_failed_build_names_the_step(fake_bin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry path with a base image that pulls but a build that fails."""
    failing_build = FAKE_ENGINE.replace(
        'case "$1" in',
        'case "$1" in\n  build) echo "STEP 1/2: FROM x"; echo "Error: boom"; exit 7 ;;',
    )
    _fake(fake_bin, "podman", failing_build)
    jar = paths.cache_dir() / "downloads" / jython_image.JAR_NAME
    jar.parent.mkdir(parents=True)
    jar.write_bytes(b"not the jar")
    monkeypatch.setattr(jython_image, "pinned_sha256", lambda: sha256_of(jar))
    monkeypatch.setenv("HARNESS_JYTHON_BUILD", "registry")
    lines: list[str] = []
    with pytest.raises(
        ProvisionError, match=r"image build failed \(podman build exit 7: Error: boom"
    ):
        jython_image.provision_image(lines.append)
    assert any("STEP 1/2" in line for line in lines)


def test_host_suite_is_the_debian_codename_or_the_override(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("HARNESS_DEBIAN_SUITE", raising=False)
    debian = tmp_path / "debian-os-release"
    debian.write_text('PRETTY_NAME="Debian GNU/Linux 13"\nID=debian\nVERSION_CODENAME=trixie\n')
    assert jython_image.host_suite(debian) == "trixie"
    fedora = tmp_path / "fedora-os-release"
    fedora.write_text('ID=fedora\nVERSION_CODENAME=""\nVERSION_ID=40\n')
    assert jython_image.host_suite(fedora) == jython_image.DEFAULT_SUITE
    assert jython_image.host_suite(tmp_path / "absent") == jython_image.DEFAULT_SUITE
    monkeypatch.setenv("HARNESS_DEBIAN_SUITE", "sid")
    assert jython_image.host_suite(debian) == "sid"


# --------------------------------------------------------------------------- the real container


def _usable_engine_reason() -> str | None:
    """Why no engine can be used here, or None. A docker client without a daemon is no engine."""
    override = os.environ.get("HARNESS_CONTAINER_ENGINE")
    if override:
        return None if shutil.which(override) else f"HARNESS_CONTAINER_ENGINE={override} absent"
    if shutil.which("podman"):
        return None
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "info"], capture_output=True, check=False).returncode == 0
    ):
        return None
    return "no container engine: podman is not installed and no docker daemon answers"


@pytest.fixture(scope="module")
def jython_entry() -> Interpreter:
    """The ready ``jython2.7`` container entry: the image is built here when missing."""
    reason = _usable_engine_reason()
    if reason:
        skip_unless_provisioned(reason)
    entry = container.discover_jython()
    if not entry.ready:
        lines: list[str] = []
        jython_image.provision_image(lines.append)  # builds, or fails the tests: never a skip
        entry = container.discover_jython()
    assert entry.ready, entry.notes
    return entry


def _run(entry: Interpreter, script: Path, args: list[str], workloads: Path) -> str:
    cmd = entry.command(script, args, workloads)
    env = entry.environ({"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root")})
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.slow
@pytest.mark.container
def test_the_worker_runs_a_workload_in_the_container(jython_entry: Interpreter) -> None:
    args = ["--workload", "countdown", "--threads", "1,2", "--params", '{"total": 100000}']
    args += ["--loops", '{"threads=1": 1, "threads=2": 1}', "--values", "1", "--warmups", "0"]
    doc = json.loads(_run(jython_entry, paths.WORKER_SCRIPT, args, paths.workloads_dir()))
    assert doc["version"] == 1
    assert doc["workload"] == "countdown"
    assert doc["facts"]["implementation"] == "jython"
    assert doc["facts"]["gil_enabled"] is None  # no GIL at all: the probe's answer too
    assert [p["key"] for p in doc["points"]] == ["threads=1", "threads=2"]
    assert all(v > 0 for p in doc["points"] for v in p["values"])


ISOLATION_CHECK = textwrap.dedent(
    """\
    import json, os, socket
    out = {}
    try:
        socket.create_connection(("deb.debian.org", 80), timeout=3)
        out["network"] = "connected"
    except Exception as exc:
        out["network"] = "refused: %s" % (exc,)
    out["interfaces"] = sorted(
        line.split(":")[0].strip() for line in open("/proc/net/dev").readlines()[2:]
    )
    out["writes"] = {}
    # Neither mount is writable (nor the root filesystem: test_the_container_is_confined).
    for target in ("/workloads/written", "/harness/check.py"):
        try:
            open(target, "a").write("x")
            out["writes"][target] = "written"
        except (IOError, OSError) as exc:
            out["writes"][target] = "refused"
    # Bind mounts of host files or folders: the root of the mount is not "/".
    engine_files = ("/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/run/.containerenv",
                    "/.dockerenv")
    binds = {}
    for line in open("/proc/self/mountinfo"):
        fields = line.split()
        source = fields[fields.index("-") + 2]
        if fields[3] != "/" and source.startswith("/dev/") and fields[4] not in engine_files:
            binds[fields[4]] = fields[5].split(",")[0]
    out["binds"] = binds
    print(json.dumps(out))
    """
)


@pytest.mark.slow
@pytest.mark.container
def test_the_container_has_no_network_and_sees_only_its_two_read_only_mounts(
    jython_entry: Interpreter, tmp_path: Path
) -> None:
    tmp_path.chmod(0o755)  # run as root, the container's user is nobody: it must read the script
    script = tmp_path / "check.py"
    script.write_text(ISOLATION_CHECK)
    workloads = tmp_path / "workloads"
    workloads.mkdir()
    seen = json.loads(_run(jython_entry, script, [], workloads).splitlines()[-1])
    assert seen["network"].startswith("refused"), seen
    assert seen["interfaces"] == ["lo"]
    assert seen["writes"] == {"/workloads/written": "refused", "/harness/check.py": "refused"}
    # The scripts folder (the worker imports the probe beside it) and the workloads.
    assert seen["binds"] == {"/harness": "ro", "/workloads": "ro"}
    assert not (workloads / "written").exists()
    assert script.read_text() == ISOLATION_CHECK


# Run by the Jython image and the sid image's interpreters (tests/test_sid.py): 2.7-compatible.
HARDENING_CHECK = textwrap.dedent(
    """\
    import json, os
    out = {"status": {}, "writes": {}}
    for line in open("/proc/self/status"):
        key, _, value = line.partition(":")
        if key in ("Uid", "Gid", "CapEff", "CapPrm", "CapBnd", "NoNewPrivs"):
            out["status"][key] = value.split()[0]
    for target in ("/harness-written", "/etc/harness-written", "/usr/harness-written",
                   "/tmp/harness-written"):
        try:
            open(target, "w").write("x")
            out["writes"][target] = "written"
        except (IOError, OSError):
            out["writes"][target] = "refused"
    out["pids_max"] = None
    for path in ("/sys/fs/cgroup/pids/pids.max", "/sys/fs/cgroup/pids.max"):
        if os.path.exists(path):
            out["pids_max"] = open(path).read().strip()
            break
    print(json.dumps(out))
    """
)


def check_confinement(seen: dict[str, object]) -> None:
    """What HARDENING_CHECK printed matches spec.container_run_flags (root host or not)."""
    uid, gid = container_user()
    status = seen["status"]
    assert isinstance(status, dict)
    assert (status["Uid"], status["Gid"]) == (str(uid), str(gid))
    assert uid != 0
    assert int(status["CapEff"], 16) == 0 and int(status["CapPrm"], 16) == 0
    assert status["NoNewPrivs"] == "1"
    assert seen["writes"] == {
        "/harness-written": "refused",
        "/etc/harness-written": "refused",
        "/usr/harness-written": "refused",
        "/tmp/harness-written": "written",  # the tmpfs the JVM and tempfile need
    }
    assert seen["pids_max"] == str(container_pids_limit())


@pytest.mark.slow
@pytest.mark.container
def test_the_container_is_confined(jython_entry: Interpreter, tmp_path: Path) -> None:
    """Read-only root but /tmp, no capabilities, no privilege gain, not root, a pids limit."""
    tmp_path.chmod(0o755)  # run as root, the container's user is nobody: it must read the script
    script = tmp_path / "check.py"
    script.write_text(HARDENING_CHECK)
    check_confinement(json.loads(_run(jython_entry, script, [], tmp_path).splitlines()[-1]))
    assert not list(tmp_path.glob("*written*"))


@pytest.mark.slow
@pytest.mark.container
def test_a_folder_the_container_cannot_read_is_one_clear_error(
    jython_entry: Interpreter, tmp_path: Path
) -> None:
    """Run as root, the container runs as nobody: a private folder is named with the fix."""
    from harness import spawn

    if os.geteuid() != 0:
        pytest.skip("the container runs as the invoking user, who reads its own folders")
    private = tmp_path / "private"
    shutil.copytree(FAKE_WORKLOADS, private, ignore=shutil.ignore_patterns("*.class", "*.pyc"))
    private.chmod(0o700)
    with pytest.raises(WorkerError, match="cannot read") as err:
        spawn.run_worker(jython_entry, "tiny", ONE_VALUE, timeout=120, workloads_dir=private)
    assert str(err.value) == (
        f"the container runs as uid 65534 (not root) and cannot read {private}: "
        f"chmod -R o+rX {private}, or run the harness as a non-root user")


def _path_without_engines(folder: Path) -> str:
    """A PATH of one folder linking every command of ours but podman and docker."""
    folder.mkdir()
    for entry in os.environ["PATH"].split(os.pathsep):
        if not entry or Path(entry).name == "shims" or not Path(entry).is_dir():
            continue
        for name in sorted(os.listdir(entry)):
            if name not in ("podman", "docker") and not (folder / name).exists():
                (folder / name).symlink_to(Path(entry) / name)
    return str(folder)


@pytest.mark.slow
def test_a_run_without_an_engine_says_it_uses_the_local_jython(tmp_path: Path) -> None:
    """The progress says the local Jython stands in, and the facts record it (fallback)."""
    if shutil.which("jython") is None:
        skip_unless_provisioned("no local Jython (python -m harness provision jython2.7-local)")
    env = {**os.environ, "PATH": _path_without_engines(tmp_path / "bin"),
           "HARNESS_WORKLOADS": str(FAKE_WORKLOADS)}
    env.pop("HARNESS_CONTAINER_ENGINE", None)
    listed = subprocess.run([sys.executable, "-m", "harness", "interpreters"], env=env,
                            capture_output=True, text=True, check=True, cwd=REPO)
    row = next(line for line in listed.stdout.splitlines() if line.startswith("jython2.7 "))
    assert "ready -- the local Jython, not the container image: no container engine" in row
    done = subprocess.run(
        [sys.executable, "-m", "harness", "run", "--fast", "-i", "jython2.7", "-w", "tiny",
         "-o", str(tmp_path / "results")],
        env=env, capture_output=True, text=True, check=False, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "[1/1 jython2.7] local jython: no container engine (podman or docker) installed" in (
        done.stderr)  # fmt: skip
    facts = json.loads((tmp_path / "results" / "jython2.7.facts.json").read_text())
    assert facts["container"]["fallback"] == "local jython"
    assert facts["container"]["why"].startswith("no container engine")
    assert facts["interpreter"]["source"] == "apt" and "container" not in facts["interpreter"]


@pytest.mark.slow
@pytest.mark.container
def test_provisioning_again_reuses_the_image_and_describe_reports_it(
    jython_entry: Interpreter,
) -> None:
    lines: list[str] = []
    jython_image.provision_image(lines.append)
    assert any("reused" in line for line in lines), lines
    facts = container.describe(jython_entry)
    assert facts["engine"] in ("podman", "docker")
    assert str(facts["engine_version"])
    assert str(facts["image_id"])
    assert str(facts["java_version"])
    assert str(facts["jython_version"]).startswith("2.7")
    assert facts["run_flags"] == container_run_flags(jython_entry.container.engine)
    assert {"--read-only", "--cap-drop=ALL", "--security-opt=no-new-privileges"} <= set(
        facts["run_flags"])  # fmt: skip


FAKE_WORKLOADS = Path(__file__).parent / "fake_workloads"
ONE_VALUE = ["--threads", "1", "--loops", '{"threads=1": 1}', "--values", "1", "--warmups", "0"]


def _containers_running(engine: str, env: dict[str, str], needle: str) -> list[str]:
    done = subprocess.run(
        [engine, "ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Command}}"],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    return [line for line in done.stdout.splitlines() if needle in line]


@pytest.mark.slow
@pytest.mark.container
def test_a_worker_killed_on_timeout_leaves_no_container(jython_entry: Interpreter) -> None:
    from harness import spawn

    assert jython_entry.container is not None
    with pytest.raises(spawn.WorkerTimeout, match="timed out"):
        spawn.run_worker(jython_entry, "hang", ONE_VALUE, timeout=20, workloads_dir=FAKE_WORKLOADS)
    env = jython_entry.environ(dict(os.environ))
    assert _containers_running(jython_entry.container.engine, env, "--workload hang") == []


@pytest.mark.slow
@pytest.mark.container
@pytest.mark.parametrize(("workload", "message"), [("crash", "exited with status 1"),
                                                   ("garbage", "not JSON")])  # fmt: skip
def test_a_failing_container_worker_is_one_worker_error(
    jython_entry: Interpreter, workload: str, message: str
) -> None:
    from harness import spawn

    with pytest.raises(WorkerError, match=message) as err:
        spawn.run_worker(
            jython_entry, workload, ONE_VALUE, timeout=120, workloads_dir=FAKE_WORKLOADS
        )
    assert "jython2.7" in err.value.message
    assert "\n" not in err.value.message
