"""A workload's ``REQUIRES``, installed per interpreter: one virtual environment each.

A user's workload may declare ``REQUIRES = ["numpy>=1.26", ...]``. For each
interpreter that can have a virtual environment (CPython 3.x, free-threaded
builds, PyPy 3), the harness makes one in its cache,
``<cache>/venvs/<id>-<key>``, keyed by the interpreter (id, command, version)
and the requirement set: ``<interpreter> -m venv`` (``python -m virtualenv -p``
from the host when that fails and virtualenv is installed), then ``pip
install``. A marker file written last (``harness-env.json``) makes it
reusable: what pip installed (name, version, top-level modules, read with
``importlib.metadata`` inside the environment), how long it took, or pip's
one-line reason when it failed. A failure is kept too (a wheel that does not
exist for a free-threaded build will not appear by retrying at once): delete
the folder to try again.

The worker then runs with the environment's own interpreter: the same entry
(``dataclasses.replace`` of its command), so its environment allow-list and
its ``PYTHON_GIL`` stay as they were. Installing is the only step that uses
the network; measuring never does.

Where an environment cannot be made (2.7, Jython, a container image) the
workload is "unsupported" there, with the reason.

On a free-threaded build, ``gil_culprits`` finds which import turned the GIL
back on: ``probe.py --gil-import MODULE`` imports one module per process, with
``PYTHON_GIL`` unset, and reports the GIL state before and after and
CPython's RuntimeWarning (which names the extension module).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import paths, procgroup
from harness.errors import HarnessError
from harness.fileutil import atomic_write_text
from harness.spec import Interpreter, base_environ

MARKER = "harness-env.json"
MARKER_VERSION = 1
VENV_TIMEOUT = 300.0
PIP_TIMEOUT = 1800.0  # building a wheel from source can take long; a hang must not
PROBE_TIMEOUT = 120.0
MAX_PROBED_MODULES = 60
# Beyond the allow-list, what pip needs to reach an index (proxies, certificates, its config).
INSTALL_ENV_PREFIXES = ("PIP_", "SSL_CERT_", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
                        "ALL_PROXY", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NETRC")

# Runs inside the environment (Python 3.8+): every distribution, its version and
# its top-level modules (top_level.txt, else the first part of its files' paths).
_LIST_SCRIPT = r"""
import json
from importlib import metadata
out = {}
for dist in metadata.distributions():
    name = dist.metadata["Name"]
    if not name:
        continue
    mods = set()
    top = dist.read_text("top_level.txt")
    if top:
        mods.update(line.strip() for line in top.splitlines())
    else:
        for f in dist.files or []:
            parts = f.parts
            if not parts or parts[0] in ("..", "__pycache__"):
                continue
            if parts[0].endswith((".dist-info", ".egg-info", ".data", ".pth")):
                continue
            if len(parts) > 1:
                mods.add(parts[0])
            elif parts[0].endswith((".py", ".so", ".pyd")):
                mods.add(parts[0].split(".")[0])
    out[name] = {"version": dist.version,
                 "modules": sorted(m for m in mods if m.isidentifier())}
print(json.dumps(out, sort_keys=True))
"""


@dataclass(frozen=True)
class Environment:
    """One interpreter's environment for one requirement set (or why there is none)."""

    requires: tuple[str, ...]
    folder: Path | None = None
    python: Path | None = None
    installed: dict[str, str] = field(default_factory=dict)  # distribution -> version
    modules: dict[str, list[str]] = field(default_factory=dict)  # distribution -> modules
    seconds: float = 0.0  # how long creating it took (the first time)
    reused: bool = False
    created: str = ""  # when it was made (ISO time)
    error: str = ""  # why the workload is unsupported under this interpreter

    def interpreter(self, interp: Interpreter) -> Interpreter:
        """``interp`` running the environment's own interpreter (same env, same id).

        Options after the executable (``-X ...``) are kept; a wrapper's arguments
        (a user entry such as ``uv run python``) are not: the venv's python is the
        interpreter itself.
        """
        if self.python is None:
            return interp
        direct = Path(interp.argv[0]).name.startswith(("python", "pypy")) if interp.argv else False
        flags = interp.argv[1:] if direct else ()
        return dataclasses.replace(interp, argv=(str(self.python), *flags))

    def import_names(self) -> list[str]:
        """Top-level modules: those of the requirements first, then their dependencies'."""
        wanted = {_dist_key(_requirement_name(r)) for r in self.requires}
        order = sorted(self.modules, key=lambda d: (_dist_key(d) not in wanted, d.lower()))
        names = [m for dist in order for m in self.modules[dist]]
        return list(dict.fromkeys(names))[:MAX_PROBED_MODULES]

    def summary(self) -> str:
        """One line for the progress output: what is installed, new or reused."""
        what = ", ".join(f"{k} {v}" for k, v in sorted(self.installed.items())) or "nothing"
        if self.reused:
            return f"environment reused ({what}; made in {self.seconds:.1f} s)"
        return f"installed {what} in {self.seconds:.1f} s"

    def to_json(self) -> dict[str, Any]:
        """The facts file's ``work[workload]["environment"]``."""
        return {
            "requires": list(self.requires),
            "folder": str(self.folder) if self.folder else None,
            "python": str(self.python) if self.python else None,
            "installed": dict(sorted(self.installed.items())),
            "seconds": round(self.seconds, 1),
            "reused": self.reused,
            "created": self.created,
            "error": self.error or None,
        }


def _requirement_name(requirement: str) -> str:
    """The distribution name at the start of a requirement string ("numpy>=1.26" -> "numpy")."""
    name = ""
    for char in requirement.strip():
        if char.isalnum() or char in "-_.":
            name += char
        else:
            break
    return name


def _dist_key(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def unsupported_reason(interp: Interpreter, requires: Sequence[str]) -> str | None:
    """Why ``interp`` cannot have an environment for ``requires`` (None: it can, or none needed)."""
    if not requires:
        return None
    if interp.implementation == "jython" or interp.family == "jython":
        return "REQUIRES needs pip in a virtual environment; Jython has neither"
    if interp.container is not None:
        return (f"REQUIRES ({', '.join(requires)}) is not installed inside container images: "
                "run it under a local interpreter")
    if interp.version.startswith("2."):
        return "REQUIRES needs a Python 3 virtual environment (venv); Python 2.7 has none"
    if not interp.argv:
        return f"interpreter {interp.id!r} has no command"
    return None


def environment_key(interp: Interpreter, requires: Sequence[str]) -> str:
    """The cache key: the interpreter (id, command, version) and the requirement set."""
    data = {"id": interp.id, "argv": list(interp.argv), "version": interp.version,
            "requires": sorted(set(requires))}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def venvs_root() -> Path:
    """The folder of every environment: ``venvs/`` in the harness's cache."""
    return paths.cache_dir() / "venvs"


def environment_folder(interp: Interpreter, requires: Sequence[str]) -> Path:
    """Where the environment of ``interp`` for ``requires`` lives in the harness's cache."""
    return venvs_root() / f"{interp.id}-{environment_key(interp, requires)}"


def install_environ(source: Mapping[str, str] | None = None) -> dict[str, str]:
    """The allow-list plus what pip needs to reach its index (never PYTHONPATH or PYTHON_GIL)."""
    source = os.environ if source is None else source
    env = base_environ(source)
    for key, value in source.items():
        if key.upper().startswith(INSTALL_ENV_PREFIXES):
            env[key] = value
    return env


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One process at a time makes (or reads) a given environment."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        handle = open(folder.parent / f"{folder.name}.lock", "w")  # noqa: SIM115
    except OSError as exc:
        raise HarnessError(
            f"cannot use the environments folder {folder.parent}: {exc.strerror or exc}",
            "set HARNESS_CACHE_DIR to a folder you can write",
        ) from exc
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _load(folder: Path, requires: Sequence[str]) -> Environment | None:
    """The environment recorded in ``folder``'s marker, or None when there is none (or stale)."""
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != MARKER_VERSION:
        return None
    python = Path(str(data.get("python") or ""))
    if not data.get("error") and not python.is_file():
        return None
    return Environment(
        requires=tuple(requires), folder=folder,
        python=python if not data.get("error") else None,
        installed=dict(data.get("installed") or {}), modules=dict(data.get("modules") or {}),
        seconds=float(data.get("seconds") or 0.0), reused=True,
        created=str(data.get("created") or ""), error=_kept(data, folder),
    )


def _kept(data: Mapping[str, Any], folder: Path) -> str:
    """A failure recorded earlier, saying so (and how to try again)."""
    error = str(data.get("error") or "")
    if not error or error.endswith("to try again)"):
        return error
    return f"{error} (recorded {data.get('created') or 'earlier'}; delete {folder} to try again)"


def _save(env: Environment) -> None:
    assert env.folder is not None
    data = {**env.to_json(), "version": MARKER_VERSION, "modules": env.modules}
    env.folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(env.folder / MARKER, json.dumps(data, indent=2, sort_keys=True) + "\n")


def ensure(
    interp: Interpreter, requires: Sequence[str], step: Callable[[str], None] | None = None
) -> Environment:
    """The environment of ``interp`` for ``requires``: reused when made before, else made now.

    Never raises for what pip or venv says: the result's ``error`` holds the
    one-line reason and the workload is unsupported there. Raises
    ``HarnessError`` only when the cache folder cannot be used.
    """
    requires = tuple(requires)
    reason = unsupported_reason(interp, requires)
    if reason:
        return Environment(requires, error=reason)
    folder = environment_folder(interp, requires)
    with _locked(folder):
        found = _load(folder, requires)
        if found is not None:
            return found
        if step:
            step(f"installing {', '.join(requires)}")
        started = time.monotonic()
        env = _create(interp, requires, folder)
        env = dataclasses.replace(env, seconds=time.monotonic() - started,
                                  created=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        _save(env)
        return env


def _create(interp: Interpreter, requires: tuple[str, ...], folder: Path) -> Environment:
    """Make the folder's environment, install, list; an Environment with ``error`` on failure."""
    shutil.rmtree(folder, ignore_errors=True)  # half-made by an interrupted run
    child_env = interp.environ(install_environ())
    child_env.pop("PYTHON_GIL", None)
    error = _make_venv(interp, folder, child_env)
    python = folder / "bin" / "python"
    if error:
        return Environment(requires, folder, error=error)
    before = _distributions(python, child_env)
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
           "--progress-bar", "off", *requires]
    done = _run(pip, child_env, PIP_TIMEOUT)
    if done.returncode != 0:
        return Environment(requires, folder, error="pip: " + pip_reason(done.stdout + done.stderr))
    wanted = {_dist_key(_requirement_name(r)) for r in requires}
    # What the new environment already held (pip; PyPy's own cffi, greenlet...) is not the
    # workload's, unless asked for.
    dists = {k: v for k, v in _distributions(python, child_env).items()
             if before.get(k) != v or _dist_key(k) in wanted}
    return Environment(
        requires, folder, python,
        installed={k: str(v.get("version", "")) for k, v in dists.items()},
        modules={k: list(v.get("modules") or []) for k, v in dists.items()},
    )


def _distributions(python: Path, env: Mapping[str, str]) -> dict[str, Any]:
    """Every distribution of the environment: name -> {version, modules}."""
    listed = _run([str(python), "-c", _LIST_SCRIPT], env, PROBE_TIMEOUT)
    with contextlib.suppress(ValueError, IndexError):
        data = json.loads(listed.stdout.strip().splitlines()[-1])
        if isinstance(data, dict):
            return data
    return {}


def _make_venv(interp: Interpreter, folder: Path, env: dict[str, str]) -> str:
    """``<interp> -m venv FOLDER`` (virtualenv from the host as a fallback): "" or the reason."""
    done = _run([*interp.argv, "-m", "venv", str(folder)], env, VENV_TIMEOUT)
    if done.returncode == 0 and (folder / "bin" / "python").exists():
        return ""
    reason = pip_reason(done.stdout + done.stderr)
    shutil.rmtree(folder, ignore_errors=True)
    if importlib.util.find_spec("virtualenv") is None:
        return (f"venv failed ({reason}); install virtualenv beside the harness "
                "(pip install virtualenv) to make one another way")
    other = _run([sys.executable, "-m", "virtualenv", "-q", "-p", interp.argv[0], str(folder)],
                 env, VENV_TIMEOUT)
    if other.returncode == 0 and (folder / "bin" / "python").exists():
        return ""
    return f"venv failed ({reason}); virtualenv failed ({pip_reason(other.stdout + other.stderr)})"


def _run(
    argv: Sequence[str], env: Mapping[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """A command whose failure is data (exit status 1 with its message), never an exception.

    It runs in the cache folder: ``-c`` and ``-m`` put the working directory on
    ``sys.path``, and a checkout's ``*.egg-info`` there would be listed as installed.
    """
    cwd = str(venvs_root()) if venvs_root().is_dir() else None
    try:  # in its own session: a timeout or a SIGTERM takes pip's build subprocesses too
        return procgroup.run(argv, timeout=timeout, env=env, cwd=cwd)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(argv, 1, "", f"ERROR: no answer within {timeout:g} s")
    except OSError as exc:
        return subprocess.CompletedProcess(argv, 1, "", f"ERROR: cannot run {argv[0]}: {exc}")


def pip_reason(output: str) -> str:
    """pip's (or venv's) one-line reason: its last ``ERROR:`` line, else its last line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.upper().startswith("ERROR:")]
    text = (errors[-1][len("ERROR:"):].strip() if errors else lines[-1]) if lines else "no output"
    return text if len(text) <= 300 else text[:297] + "..."


def gil_import(interp: Interpreter, module: str, folder: Path | None = None) -> dict[str, Any]:
    """``probe.py --gil-import MODULE [DIR]`` under ``interp`` with ``PYTHON_GIL`` unset."""
    args = ["--gil-import", module] + ([str(folder)] if folder is not None else [])
    env = base_environ()
    env.update((k, v) for k, v in interp.env if k != "PYTHON_GIL")
    done = _run(interp.command(paths.PROBE_SCRIPT, args), env, PROBE_TIMEOUT)
    with contextlib.suppress(ValueError, IndexError):
        data = json.loads(done.stdout.strip().splitlines()[-1])
        if isinstance(data, dict):
            return data
    return {"module": module, "error": pip_reason(done.stderr) if done.stderr else "no output"}


def gil_culprits(
    interp: Interpreter, modules: Sequence[str], workload: str, folder: Path
) -> list[dict[str, str]]:
    """Which imports turn the GIL back on: each module alone, then the workload's own module.

    Each item: ``import`` (what was imported) and ``module`` (the extension
    module CPython's warning names, else the same). The workload module is
    tried only when no requirement did it (an extension beside the workload).
    """
    found: list[dict[str, str]] = []
    for name in modules:
        found += _culprit(gil_import(interp, name), name)
    if not found:
        found += _culprit(gil_import(interp, workload, folder), workload)
    return found


def _culprit(data: Mapping[str, Any], name: str) -> list[dict[str, str]]:
    if data.get("gil_before") is not False or data.get("gil_after") is not True:
        return []
    named = ""
    for text in data.get("warnings") or []:
        marker = "to load module '"
        if marker in str(text):
            named = str(text).split(marker, 1)[1].split("'", 1)[0]
            break
    return [{"import": name, "module": named or name}]
