"""numpy matrix products over T threads: C code (BLAS) that releases the GIL.

A fixed number of ``size`` x ``size`` float64 matrix products split over T
Python threads. numpy releases the GIL around the BLAS call, so on CPython
with a GIL the threads still overlap; a free-threaded build has no GIL to
release. BLAS is kept to one thread of its own (OPENBLAS_NUM_THREADS=1, set
before numpy is imported): the Python threads are what is measured, not
OpenBLAS's pool.
"""

import os
import threading

# Before numpy loads its BLAS: one BLAS thread per Python thread.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

try:
    import numpy
except ImportError:  # reported by supported(); the harness installs REQUIRES first
    numpy = None

# numpy 1.26-2.4: pp39 wheels for PyPy 3.9 (up to 2.0), cp313t wheels for 3.13t (2.1+), all
# with OpenBLAS. A numpy 2.5.5 cp313t wheel seen here was built without BLAS (show_config:
# blas "auto", no numpy.libs): 50x slower on one thread, measuring the wheel, not the build.
REQUIRES = ["numpy>=1.26,<2.5"]
KIND = "strong"
DESCRIPTION = "numpy matrix products (BLAS, GIL released) split over T threads"
PARAMS = {"size": 192, "products": 256}  # about 0.1 s for one thread (OpenBLAS, 1 thread)
FAST_PARAMS = {"products": 32}
SCALES = "threads"  # its points are threads=T
SIZED_BY = "products"  # a faster interpreter gets more products, so a call lasts long enough

_matrices = {}


def _operands(size):
    """Two fixed matrices, made once per process (outside the timing)."""
    pair = _matrices.get(size)
    if pair is None:
        rng = numpy.random.default_rng(12345)
        pair = (rng.random((size, size)), rng.random((size, size)))
        _matrices[size] = pair
    return pair


def multiply(a, b, count):
    """``count`` matrix products."""
    for _ in range(count):
        numpy.matmul(a, b)


def points(thread_counts, params):
    """One point per thread count: ``threads=T``."""
    return [(f"threads={t}", {"threads": t}) for t in thread_counts]


def supported():
    """None when numpy imports here."""
    return None if numpy is not None else "numpy is not installed for this interpreter"


def run(point, params):
    """Start T threads sharing ``products`` matrix products, then join them all."""
    threads = point["threads"]
    a, b = _operands(params["size"])
    total = params["products"]
    shares = [total // threads + (1 if i < total % threads else 0) for i in range(threads)]
    workers = [threading.Thread(target=multiply, args=(a, b, n)) for n in shares]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
