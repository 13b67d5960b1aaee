"""A tiny CPython-like source tarball for the build tests (shared by provision and catalogue).

Its ``configure`` and ``Makefile`` are shell: they exercise the real steps
(verify, extract, configure, make, staged ``make altinstall``, the check, the
rename) in a second, not CPython's two-minute build. Each flavour's 'python'
answers the build check's questions (its GIL, version and configure args).
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

CONFIGURE = """#!/bin/sh
binary=python{minor}; flavour=twin
for arg in "$@"; do
  case $arg in
    --prefix=*) prefix=${{arg#--prefix=}};;
    --disable-gil) binary=python{minor}t; flavour=ft;;
  esac
done
echo "$@" > configured-with
printf 'all:\\n\\techo compiled\\naltinstall:\\n' > Makefile
printf '\\tmkdir -p $(DESTDIR)%s/bin\\n' "$prefix" >> Makefile
printf '\\tcp fakepython-%s $(DESTDIR)%s/bin/%s\\n' "$flavour" "$prefix" "$binary" >> Makefile
"""


def fake_python(version: str, free: bool, twin_has_gil: bool = True,
                gil_disabled: object = 1) -> str:
    """A shell 'python' answering the build check. ``gil_disabled`` is what the
    free-threaded flavour says of Py_GIL_DISABLED (None: null, the variable missing)."""
    args = "--disable-gil --disable-test-modules" if free else "--disable-test-modules"
    info = {"gil_disabled": gil_disabled if free else 0,
            "gil_enabled": (not free) and twin_has_gil,
            "version": version, "config_args": f"{args} --prefix=/x"}
    return f"#!/bin/sh\necho '{json.dumps(info)}'\n"


def fake_tarball(folder: Path, version: str = "3.13.5", name: str | None = None,
                 twin_has_gil: bool = True, ft_gil_disabled: object = 1) -> Path:
    """A CPython-like source tarball of ``version`` (Include/patchlevel.h says it too)."""
    minor = ".".join(version.split(".")[:2])
    files = {
        "configure": CONFIGURE.format(minor=minor),
        "fakepython-ft": fake_python(version, True, gil_disabled=ft_gil_disabled),
        "fakepython-twin": fake_python(version, False, twin_has_gil),
        "Include/patchlevel.h": f'#define PY_VERSION              "{version}"\n',
    }
    tarball = folder / (name or f"Python-{version}.tar.xz")
    tarball.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball, "w:xz") as tar:
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"Python-{version}/{path}")
            info.size = len(data)
            info.mode = 0o755
            tar.addfile(info, io.BytesIO(data))
    return tarball
