"""Native threads: the engine parallelises over batches of workers, so BLAS and OpenMP run on one."""

from __future__ import annotations

from contextlib import AbstractContextManager
from functools import cache
from typing import Any

from threadpoolctl import ThreadpoolController


@cache
def _threadpools() -> ThreadpoolController:
    import sklearn.ensemble  # noqa: F401  (loads the OpenMP runtime of the trees, so that the controller sees it)

    return ThreadpoolController()


def one_native_thread() -> AbstractContextManager[Any]:
    """A context in which BLAS and OpenMP (the boosted trees) run on one thread.

    The engine parallelises over batches of workers (joblib, Dask) instead. Native threads nested under
    those workers, or competing with other processes for a few cores, spin: they slowed fitting the
    trees several-fold and made predicting a few dozen rows take tens of milliseconds instead of one.
    """
    return _threadpools().limit(limits=1)
