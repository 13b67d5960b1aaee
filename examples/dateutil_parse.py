"""python-dateutil's parser over T threads: a pure-Python hot loop.

``dateutil.parser.parse`` tokenizes and interprets a date string in pure
Python (no C extension): a fixed number of parses split over T threads. With
a GIL the threads take turns; a free-threaded build can run them in parallel;
PyPy's JIT makes each parse faster but keeps a GIL.
"""

import threading

try:
    from dateutil import parser
except ImportError:  # reported by supported(); the harness installs REQUIRES first
    parser = None

REQUIRES = ["python-dateutil>=2.8"]
KIND = "strong"
DESCRIPTION = "python-dateutil parsing date strings (pure Python) split over T threads"
PARAMS = {"total": 4000}  # about 0.2 s for one thread on 3.11, like countdown
FAST_PARAMS = {"total": 500}
SCALES = "threads"  # its points are threads=T
SIZED_BY = "total"  # sized per interpreter like countdown (PyPy parses faster)

TEXTS = (
    "2024-02-29T13:45:10.123456+01:00",
    "Thu, 26 Nov 2026 20:01:33 GMT",
    "March 3rd, 2021 4:05 PM",
    "12/31/1999 23:59:59",
    "2023-07-04",
    "Sat Oct 11 17:13:46 UTC 2003",
)


def parse_some(count, offset):
    """Parse ``count`` strings, cycling through TEXTS from ``offset``."""
    n = len(TEXTS)
    for i in range(count):
        parser.parse(TEXTS[(offset + i) % n])


def points(thread_counts, params):
    """One point per thread count: ``threads=T``."""
    return [(f"threads={t}", {"threads": t}) for t in thread_counts]


def supported():
    """None when dateutil imports here."""
    return None if parser is not None else "python-dateutil is not installed for this interpreter"


def run(point, params):
    """Start T threads sharing ``total`` parses, then join them all."""
    threads = point["threads"]
    total = params["total"]
    shares = [total // threads + (1 if i < total % threads else 0) for i in range(threads)]
    workers = [threading.Thread(target=parse_some, args=(n, i)) for i, n in enumerate(shares)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
