"""The report's sections, in page order: to add one, write a module here and list it below.

Each section is a function ``(Context) -> Section`` that reads only the context
(loaded files) and returns document blocks; none renders anything itself.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.report.context import Context
from harness.report.document import Section
from harness.report.sections.claims import claims
from harness.report.sections.convoy import convoy
from harness.report.sections.cores import cores
from harness.report.sections.correctness import correctness
from harness.report.sections.facts import facts
from harness.report.sections.headline import headline
from harness.report.sections.latency import latency
from harness.report.sections.method import method
from harness.report.sections.scaling import scaling
from harness.report.sections.single_thread import single_thread
from harness.report.sections.user_workloads import user_workloads
from harness.report.sections.warmup import warmup
from harness.report.sections.ways import ways

SECTIONS: tuple[Callable[[Context], Section], ...] = (
    headline,
    facts,
    scaling,
    ways,
    correctness,
    claims,
    single_thread,
    latency,
    convoy,
    cores,
    warmup,
    user_workloads,
    method,
)
