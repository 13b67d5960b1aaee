"""The facts probe: run by each interpreter, it prints one JSON object describing itself.

    <interpreter> harness/probe.py              the facts, one JSON object
    <interpreter> harness/probe.py --identity   "cpython 3.13.5 1": implementation,
                                                version, free-threaded build (discovery)
    <interpreter> harness/probe.py --gil-import MODULE [DIR]
                                                import one module (DIR first on sys.path):
                                                the GIL before and after, and the GIL
                                                warnings (which import turned it back on)

The worker imports this module (from its own folder) for the facts it records,
so the probe and the worker can never disagree about an interpreter.

Stdlib only and Python 2.7 syntax: CPython 2.7, Jython 2.7, PyPy and CPython 3.x
run this file. Every fact that an interpreter cannot give is null or a
"not available" reason, never an exception: the probe always prints its JSON.
"""

from __future__ import print_function

import json
import platform
import sys

FORMAT_VERSION = 1
NOT_AVAILABLE = "not available"

n = 0


def _increment():
    global n
    n += 1


def implementation():
    """'cpython', 'pypy', 'jython' (lower case), from the interpreter itself."""
    try:
        return sys.implementation.name
    except AttributeError:
        pass
    try:
        return platform.python_implementation().lower()
    except Exception:
        if sys.platform.startswith("java"):
            return "jython"
        return "cpython"


def python_version():
    """'3.13.5' from sys.version_info (Jython's sys.version is not parseable)."""
    info = sys.version_info
    return "%d.%d.%d" % (info[0], info[1], info[2])


def gil_disabled_build():
    """True for a free-threaded CPython build, False for a GIL build, None where unknown."""
    if implementation() != "cpython":
        return None
    try:
        import sysconfig
    except ImportError:
        return False
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def gil_enabled():
    """Whether a GIL is on now, after imports (None: this interpreter has none at all)."""
    check = getattr(sys, "_is_gil_enabled", None)
    if check is not None:
        return bool(check())
    if implementation() == "jython":
        return None
    # CPython before 3.13 and PyPy always run with a GIL.
    return True


def _sys_value(name):
    """``sys.<name>()``, or None where it is missing or fails (Jython's stubs)."""
    get = getattr(sys, name, None)
    if get is None:
        return None
    try:
        return get()
    except Exception:
        return None


def switch_interval():
    return _sys_value("getswitchinterval")


def check_interval():
    if sys.version_info[0] >= 3:
        return None
    return _sys_value("getcheckinterval")


def cpu_count():
    try:
        import multiprocessing

        return multiprocessing.cpu_count()
    except Exception:
        pass
    try:
        from java.lang import Runtime  # Jython

        return Runtime.getRuntime().availableProcessors()
    except Exception:
        return None


def getrefcount():
    """sys.getrefcount(a) after ``a = []; b = a`` (the notebook's example)."""
    get = getattr(sys, "getrefcount", None)
    if get is None:
        return NOT_AVAILABLE
    a = []
    b = a
    try:
        count = get(a)
    except Exception:
        return NOT_AVAILABLE
    del b
    return count


def dis_increment():
    """The bytecode of ``n += 1`` (on a global) as "OPNAME argrepr" strings."""
    if implementation() == "jython":
        # Jython compiles to JVM bytecode; its dis module describes nothing real.
        return NOT_AVAILABLE
    try:
        import dis
    except Exception:
        return NOT_AVAILABLE
    get_instructions = getattr(dis, "get_instructions", None)
    if get_instructions is not None:
        try:
            out = []
            for ins in get_instructions(_increment):
                text = ins.opname
                if ins.argrepr:
                    text += " " + ins.argrepr
                out.append(text)
            return out
        except Exception:
            return NOT_AVAILABLE
    # Python 2.7: dis.dis prints to stdout; capture it.
    try:
        from StringIO import StringIO
    except ImportError:
        return NOT_AVAILABLE
    saved = sys.stdout
    buf = StringIO()
    sys.stdout = buf
    try:
        dis.dis(_increment)
    except Exception:
        return NOT_AVAILABLE
    finally:
        sys.stdout = saved
    out = []
    for line in buf.getvalue().splitlines():
        fields = line.split()
        # "  24           0 LOAD_GLOBAL              0 (n)": skip the line and offset numbers.
        while fields and (fields[0].isdigit() or fields[0] in (">>", "-->")):
            fields.pop(0)
        if not fields:
            continue
        text = fields[0]
        rest = " ".join(fields[1:])
        if "(" in rest and rest.endswith(")"):
            text += " " + rest[rest.index("(") + 1:-1]
        out.append(text)
    return out or NOT_AVAILABLE


def multiprocessing_status():
    """True when multiprocessing can start processes here, else the reason it cannot."""
    try:
        import multiprocessing
    except Exception as exc:
        return "cannot import multiprocessing: %s" % (exc,)
    try:
        import os

        if not hasattr(os, "fork") and not hasattr(multiprocessing, "get_start_method"):
            return "no os.fork and no start method"
        get = getattr(multiprocessing, "get_start_method", None)
        if get is not None:
            get(allow_none=True)
        multiprocessing.Lock()
    except Exception as exc:
        return "multiprocessing does not work: %s" % (exc,)
    return True


def threads():
    if implementation() == "jython":
        return "java threads"
    info = getattr(sys, "thread_info", None)
    if info is not None and info.name:
        return str(info.name)
    try:
        import thread  # noqa: F401 (Python 2)

        return "pthread" if not sys.platform.startswith("win") else "nt"
    except ImportError:
        return "unknown"


def java_version():
    try:
        from java.lang import System

        return str(System.getProperty("java.version"))
    except Exception:
        return None


def build_optimizations():
    """CPython's build options that change speed, as its build configuration declares them.

    "PGO", "LTO", "PGO+LTO" or "none", then ", shared" (libpython as a shared
    library, as distributions build it) and ", JIT off"/", JIT" (the experimental
    JIT compiled in). Single-thread comparisons between CPythons compare builds as
    well as versions (pyenv builds without PGO unless told to). A distribution may
    pass flags at make time that sysconfig does not record: "none" means none
    declared. None off CPython.
    """
    if implementation() != "cpython":
        return None
    try:
        import sysconfig
    except ImportError:
        return None
    args = sysconfig.get_config_var("CONFIG_ARGS") or ""
    flags = " ".join(
        str(sysconfig.get_config_var(name) or "")
        for name in ("PY_CFLAGS", "PY_CFLAGS_NODIST", "LDFLAGS_NODIST")
    )
    found = []
    if "--enable-optimizations" in args or "-fprofile-use" in flags:
        found.append("PGO")
    if "--with-lto" in args or "-flto" in flags:
        found.append("LTO")
    text = "+".join(found) or "none"
    if "--enable-shared" in args:
        text += ", shared"
    if "--enable-experimental-jit=yes-off" in args:
        text += ", JIT off"
    elif "--enable-experimental-jit" in args:
        text += ", JIT"
    return text


def platform_name():
    try:
        return platform.platform()
    except Exception:
        return sys.platform


def facts():
    """Every fact, as a dict ready for json.dumps."""
    data = {
        "version": FORMAT_VERSION,
        "implementation": implementation(),
        "python_version": python_version(),
        "executable": sys.executable,
        "gil_disabled_build": gil_disabled_build(),
        "switch_interval": switch_interval(),
        "check_interval": check_interval(),
        "cpu_count": cpu_count(),
        "getrefcount": getrefcount(),
        "dis_increment": dis_increment(),
        "multiprocessing": multiprocessing_status(),
        "threads": threads(),
        "platform": platform_name(),
        "build_optimizations": build_optimizations(),
    }
    if data["implementation"] == "jython":
        data["java_version"] = java_version()
    # Last, after every import above: importing a C extension can turn the GIL back on.
    data["gil_enabled"] = gil_enabled()
    return data


def identity():
    """One line for discovery: implementation, version, 1 for a free-threaded build else 0."""
    return "%s %s %d" % (implementation(), python_version(), int(bool(gil_disabled_build())))


def gil_import(module, directory=None):
    """Import ``module`` alone and say whether that turned the GIL on.

    Run with ``PYTHON_GIL`` unset. CPython 3.13+ free-threaded builds turn the
    GIL back on when an extension module does not declare ``Py_mod_gil``, with a
    RuntimeWarning naming it; both are recorded. What the module prints goes
    to stderr: stdout carries the JSON only.
    """
    import warnings

    if directory:
        sys.path.insert(0, directory)
    data = {"module": module, "gil_before": gil_enabled(), "warnings": [], "error": None}
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    try:
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            try:
                __import__(module)
            except Exception as exc:  # a module that fails to import is reported, not fatal
                data["error"] = "%s: %s" % (type(exc).__name__, exc)
            data["warnings"] = [str(r.message) for r in records if "GIL" in str(r.message)]
    finally:
        sys.stdout = real_stdout
    data["gil_after"] = gil_enabled()
    return data


def main(argv=None):
    if argv is None:
        argv = sys.argv[1:]
    if argv == ["--identity"]:
        sys.stdout.write(identity() + "\n")
    elif argv[:1] == ["--gil-import"] and len(argv) in (2, 3):
        sys.stdout.write(json.dumps(gil_import(*argv[1:]), sort_keys=True) + "\n")
    else:
        sys.stdout.write(json.dumps(facts(), sort_keys=True) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
