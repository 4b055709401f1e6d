"""Keep freed activation memory in the process heap on glibc, instead of unmapping it.

glibc serves allocations above its mmap threshold (at most 32 MiB) with a fresh `mmap` and
returns them with `munmap` on free, so every training step page-faults and zeroes its large
activations again. EfficientNet-Lite0 at 192 px with both views in one batch of 16 allocates
several such tensors: measured on this 2-core machine (bench/ml_cost.py), its forward took
3.1x the time of a batch of 8 instead of 2x, which alone pushed the semi-supervised step to
2.6x the supervised one. Raising the mmap and trim thresholds lets the heap reuse that memory.

The price: the process keeps its peak heap instead of handing freed pages back to the OS,
which suits a training worker whose next step needs the same memory again.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform

# mallopt parameter numbers from glibc's malloc.h.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_THRESHOLD_BYTES = 1 << 30

_applied = False


def keep_freed_memory_in_heap() -> bool:
    """Raise glibc's mmap/trim thresholds once per process; False where that is not glibc."""
    global _applied
    if _applied:
        return True
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    mmap_set = int(libc.mallopt(_M_MMAP_THRESHOLD, _THRESHOLD_BYTES)) == 1
    trim_set = int(libc.mallopt(_M_TRIM_THRESHOLD, _THRESHOLD_BYTES)) == 1
    _applied = mmap_set and trim_set
    return _applied
