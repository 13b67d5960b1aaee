"""Hashing big buffers over T threads: C code that releases the GIL scales anyway.

The notebook's "move the hot code to C": ``hashlib.sha256`` (or
``zlib.compress``) of large buffers, a fixed total split over T threads. CPython's
hashlib releases the GIL while it hashes inputs larger than 2047 bytes, and
zlib releases it while it compresses, so even with a GIL two threads on two
cores take about half the time of one. On PyPy the same C libraries are
called; on Jython the work is Java code, with no GIL to release. A CPython
built without OpenSSL falls back on its builtin ``_sha256`` module; 2.7's holds
the GIL (seen here on pyenv's 2.7.18: no speed-up with two threads), so the
result there says as much about the build as about the interpreter.

``chunk`` bytes per call (1 MB: far above hashlib's 2047-byte threshold);
``total`` bytes per run, split as evenly as whole chunks allow.
"""

import threading

# What follows declares the workload contract as data (README.md, "Your own code").
# Plain literals (192 MiB, 1 MiB): the host reads PARAMS with ast.literal_eval.
# 192 MiB keeps a 2-thread run near 50 ms on 3.x: shorter runs were dominated
# by when the second thread got its core (RSD 8-11% at 64 MiB on this VM).
PARAMS = {"total": 201326592, "chunk": 1048576, "algorithm": "sha256"}
KIND = "strong"
DESCRIPTION = "hashing big buffers over T threads: C code that releases the GIL"
FAST_PARAMS = {"total": 4194304}
ROLE = "c_code"
SCALES = "threads"
SIZED_BY = "total"

_buffers = {}


def _buffer(size):
    """A chunk of fixed, not too compressible bytes, built once (outside the timing)."""
    data = _buffers.get(size)
    if data is None:
        pattern = bytearray((i * 7919 + (i >> 8) * 31) & 0xFF for i in range(65536))
        data = bytes((pattern * (size // len(pattern) + 1))[:size])
        _buffers[size] = data
    return data


def _work_function(algorithm):
    """The C call that runs on each chunk."""
    if algorithm == "sha256":
        import hashlib

        def work(data):
            hashlib.sha256(data).digest()

        return work
    if algorithm == "zlib":
        import zlib

        def work(data):
            zlib.compress(data, 6)

        return work
    raise ValueError("algorithm must be 'sha256' or 'zlib', not %r" % (algorithm,))


def hash_chunks(work, data, count):
    """Run the C call on ``count`` chunks."""
    for _ in range(count):
        work(data)


def points(thread_counts, params):
    """One point per thread count: ``threads=T``."""
    return [("threads=%d" % t, {"threads": t}) for t in thread_counts]


def supported():
    """The reason the chosen algorithm is missing here, or None."""
    try:
        import hashlib  # noqa: F401
        import zlib  # noqa: F401
    except ImportError as exc:
        return "no hashlib/zlib on this interpreter (%s)" % (exc,)
    return None


def run(point, params):
    """Start T threads sharing the chunks of ``total`` bytes, then join them all."""
    threads = point["threads"]
    chunks = max(1, params["total"] // params["chunk"])
    data = _buffer(params["chunk"])
    work = _work_function(params["algorithm"])
    shares = [chunks // threads + (1 if i < chunks % threads else 0) for i in range(threads)]
    workers = [threading.Thread(target=hash_chunks, args=(work, data, n)) for n in shares]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
