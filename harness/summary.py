"""What a run produced: per interpreter its outcomes and files, and the run's summary lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness.results import Outcome
from harness.spec import Interpreter


@dataclass
class InterpreterResult:
    """Everything one interpreter produced in this run."""

    interpreter: Interpreter
    outcomes: list[Outcome] = field(default_factory=list)
    suite: Path | None = None  # its suite file
    facts_path: Path | None = None  # its facts file


@dataclass
class RunSummary:
    """The outcome of ``run``: per interpreter, and whether everything went through."""

    results: list[InterpreterResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[tuple[str, Outcome]]:
        """(interpreter id, outcome) for every failure and timeout."""
        return [
            (r.interpreter.id, o)
            for r in self.results
            for o in r.outcomes
            if o.status in ("failed", "timeout")
        ]

    @property
    def ok(self) -> bool:
        """True when nothing failed or timed out (unsupported is fine)."""
        return not self.failed

    def lines(self) -> list[str]:
        """A short human summary: counts per interpreter, then each failure's first line."""
        out = []
        for r in self.results:
            counts: dict[str, int] = {}
            for o in r.outcomes:
                counts[o.status] = counts.get(o.status, 0) + 1
            text = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing run"
            out.append(f"  {r.interpreter.id:<12} {text}")
        unsupported = [
            (r.interpreter.id, o)
            for r in self.results
            for o in r.outcomes
            if o.status == "unsupported"
        ]
        if unsupported:
            out.append("unsupported:")
            out += [f"  {i} {o.benchmark}: {o.reason.splitlines()[0]}" for i, o in unsupported]
        if self.failed:
            out.append("failed:")
            for i, o in self.failed:
                first = o.reason.splitlines()[0] if o.reason else ""
                out.append(f"  {i} {o.benchmark} [{o.status}]: {first}")
        return out
