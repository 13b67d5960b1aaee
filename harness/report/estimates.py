"""estimates.csv: every figure the report prints, in a file a program can read.

The sections record each figure here as they word it (``Context.estimates``),
so the file holds what the page prints, not a second computation of it. One
row per figure: ``interpreter,workload,figure,estimate,low,high,processes``.
``figure`` names what it is:

- ``speedup threads=2`` (``processes=2``, ``interpreters=2``): a ratio against one
  worker, time(1) / time(T); ``throughput threads=2`` for fixed work per thread
  (T x that ratio; the ideal is T);
- ``time threads=1``: a time per call in seconds (the mean of per-process means);
  ``time interval=default`` (a switch latency), ``time start_join`` (thread start),
  ``start per interpreter`` (sub-interpreter start) likewise, in seconds;
- ``vs 3.13-twin``: a one-thread comparison against that interpreter (a time ratio,
  above 1 when slower);
- ``convoy cpu_threads=1,interval=default`` (``,cpus=1`` when pinned): the I/O
  thread's time beside that many CPU-bound threads / alone (``io_convoy``);
- ``ratio threads=2/1 cpus=1`` (``cpus=all``): time with 2 threads / time with 1 in
  processes pinned to that many cores; ``change threads=2/1 cpus=all vs cpus=1``: the
  ratio on all cores / on one (Welch);
- ``lost threads=4``: the median share of lost updates over processes (``low`` and
  ``high``: the smallest and largest share, as the page prints them).

``low`` and ``high`` are the 95% interval as printed (empty without one);
``processes`` is the number of worker processes behind the figure.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from harness.stats import Estimate

HEADER = ("interpreter", "workload", "figure", "estimate", "low", "high", "processes")
FILE = "estimates.csv"


@dataclass(frozen=True)
class Figure:
    """One printed figure."""

    interpreter: str
    workload: str
    figure: str
    estimate: float
    low: float | None
    high: float | None
    processes: int

    def row(self) -> list[str]:
        """The CSV row: numbers with 6 significant digits, "" for no interval."""
        def num(x: float | None) -> str:
            return "" if x is None else f"{x:.6g}"
        return [self.interpreter, self.workload, self.figure, num(self.estimate),
                num(self.low), num(self.high), str(self.processes)]


@dataclass
class Figures:
    """The figures recorded while the sections are built; the first of a key is kept (the
    headline and a section print the same figure once each)."""

    items: dict[tuple[str, str, str], Figure] = field(default_factory=dict)

    def add(self, interpreter: str, workload: str, figure: str, est: Estimate) -> None:
        """Record ``est`` as printed (nothing when no process is behind it: "no figure")."""
        if est.processes == 0:
            return
        key = (interpreter, workload, figure)
        if key not in self.items:
            self.items[key] = Figure(interpreter, workload, figure, est.value, est.low,
                                     est.high, est.processes)

    def add_range(self, interpreter: str, workload: str, figure: str, value: float,
                  low: float, high: float, processes: int) -> None:
        """Record a figure printed with a range that is not an interval (lost updates)."""
        self.add(interpreter, workload, figure, Estimate(value, low, high, processes))

    def csv_text(self) -> str:
        """The file's text, rows sorted by interpreter, workload and figure."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        for key in sorted(self.items):
            writer.writerow(self.items[key].row())
        return out.getvalue()
