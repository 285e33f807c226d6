"""One BLAS thread while a video is scored (``one_blas_thread``, a context manager and a
decorator).

Registration's Gauss-Newton steps (``registration.solve``) and the light's fits multiply
tall, thin matrices (11 columns over the 10,000-16,000 static pixels of a 128 px grey).
OpenBLAS splits such a product over every core from about 10,000 rows on, and the split
costs more than it saves: 7.8 ms of CPU for one product on 2 cores against 0.23 ms on
one thread (numpy 2, OpenBLAS 0.3.31), a fifth of a 256 x 256 video's scoring; and a
split sums in another order, so a score would change in its last bits with the number
of cores. The limit holds only inside the call and is put back after it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager

from threadpoolctl import ThreadpoolController


@functools.cache
def _controller() -> ThreadpoolController:
    """The BLAS libraries loaded (numpy's, loaded before any vidreason module runs),
    looked up once: a lookup walks every loaded library (about 2 ms)."""
    import numpy  # noqa: F401  (its BLAS is loaded with it)

    return ThreadpoolController()


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block (or the decorated function) with BLAS on one thread."""
    with _controller().limit(limits=1, user_api="blas"):
        yield
