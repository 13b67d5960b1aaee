"""Your workloads: those from a ``--workloads`` folder, what was installed for each, and the GIL.

Everything comes from the facts files' ``work`` record (``harness.measure``):
a user workload's ``folder``, its ``requires``, the ``environment`` made for
each interpreter (installed versions, how long it took, or why there is
none), and ``gil_reenabled`` when a free-threaded build ran it with the GIL
back on, with the import that did it. Their timings are in the other
sections, beside the built-in workloads (Thread scaling shows them by KIND).
"""

from __future__ import annotations

from typing import Any

from harness.points import workload_of
from harness.report.context import Context
from harness.report.document import Bullets, Para, Section, Table
from harness.report.model import InterpreterResults


def _work(r: InterpreterResults) -> dict[str, Any]:
    work = r.facts.work
    return work if isinstance(work, dict) else {}


def user_workloads_of(ctx: Context) -> list[str]:
    """Names of the workloads that came from a user's folder, in first-seen order."""
    names: dict[str, None] = {}
    for r in ctx.results:
        for name, entry in _work(r).items():
            if isinstance(entry, dict) and entry.get("folder"):
                names[name] = None
    return list(names)


def gil_reenabled_lines(ctx: Context) -> list[str]:
    """One sentence per interpreter and workload whose imports turned the GIL back on."""
    lines = []
    for r in ctx.results:
        for name, entry in _work(r).items():
            found = entry.get("gil_reenabled") if isinstance(entry, dict) else None
            if not isinstance(found, dict):
                continue
            culprits = [c for c in found.get("by") or [] if isinstance(c, dict)]
            if not culprits:
                lines.append(f"{r.id}: the GIL was on while workload `{name}` ran although "
                             "this build is free-threaded; no single import was found to do it")
                continue
            what = ", ".join(_culprit_text(c) for c in culprits)
            lines.append(f"{r.id}: importing {what} turned the GIL back on for workload "
                         f"`{name}`, so its threads there ran under a GIL")
    return lines


def _culprit_text(culprit: dict[str, Any]) -> str:
    imported, module = str(culprit.get("import", "")), str(culprit.get("module", ""))
    if module and module != imported:
        return f"`{imported}` (its extension module `{module}` does not declare free-threading)"
    return f"`{imported}`"


def _outcome(r: InterpreterResults, name: str) -> tuple[str, str]:
    """(status, reason) of workload ``name`` under ``r``: its worst outcome."""
    mine = [o for o in r.outcomes if workload_of(o.get("benchmark", "")) == name]
    for status in ("failed", "timeout", "interrupted", "unsupported", "ok"):
        for o in mine:
            if o.get("status") == status:
                lines = str(o.get("reason") or "").splitlines()
                return status, lines[0] if lines else ""
    return "not run", ""


def _row(r: InterpreterResults, name: str, entry: dict[str, Any]) -> list[str]:
    status, reason = _outcome(r, name)
    env = entry.get("environment") if isinstance(entry.get("environment"), dict) else None
    installed, made = "-", "-"
    if env is not None and not env.get("error"):
        versions = env.get("installed") or {}
        installed = ", ".join(f"{k} {v}" for k, v in sorted(versions.items())) or "nothing"
        seconds = float(env.get("seconds") or 0.0)
        made = f"reused (made in {seconds:.1f} s)" if env.get("reused") else f"{seconds:.1f} s"
    elif not entry.get("requires"):
        installed = "nothing required"
    text = status + (f": {reason}" if reason and status != "ok" else "")
    found = entry.get("gil_reenabled")
    gil = "-"
    if isinstance(found, dict):
        by = [f"`{c.get('import')}`" for c in found.get("by") or [] if isinstance(c, dict)]
        gil = "back on" + (f" ({', '.join(by)})" if by else "")
    return [r.id, text, installed, made, gil]


def user_workloads(ctx: Context) -> Section:
    """Per user workload: its folder and requirements, then one row per interpreter."""
    sec = Section(
        "user-workloads", "Your workloads",
        "Workloads from a `--workloads` folder (`python -m harness run --workloads DIR`): "
        "their requirements (REQUIRES) are installed with pip into one virtual environment "
        "per interpreter, in the harness's cache, made once and reused. Their timings are "
        "in the sections above, beside the built-in workloads.",
    )
    names = user_workloads_of(ctx)
    if not names:
        sec.blocks.append(Para("None in this run.", css="missing"))
        return sec
    lines = gil_reenabled_lines(ctx)
    if lines:
        sec.blocks.append(Bullets([f"**GIL turned back on**: {line}." for line in lines],
                                  css="warning"))
    for name in names:
        entries: list[tuple[InterpreterResults, dict[str, Any]]] = [
            (r, e) for r in ctx.results if isinstance(e := _work(r).get(name), dict)]
        first = entries[0][1]
        requires = ", ".join(f"`{q}`" for q in first.get("requires") or []) or "nothing"
        sec.blocks.append(Para(
            f"`{name}` from `{first.get('folder')}`: {ctx.description(name)}. "
            f"Requires {requires}.", css="subhead"))
        rows = [_row(r, name, e) for r, e in entries]
        sec.blocks.append(Table(
            ["interpreter", "outcome", "installed (pip, in the environment)",
             "environment made in", "GIL"], rows,
            caption="installed: every distribution pip added, with its version; "
            "unsupported: why this interpreter has no environment (pip's own reason); "
            "GIL: back on when an import turned it on in a free-threaded build",
            numeric_from=5))
    return sec
