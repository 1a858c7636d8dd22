"""The server process's own tuning (runtime.py)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt's arenas are glibc's")
def test_malloc_arenas_are_limited_before_threads_allocate() -> None:
    """With the limit, eight threads that each allocate share the two arenas instead of
    getting one each (glibc reports them in malloc_info)."""
    program = """
import ctypes, ctypes.util, sys, threading
from loghaven.runtime import limit_malloc_arenas
if sys.argv[1] == "limited":
    assert limit_malloc_arenas(2)
barrier = threading.Barrier(8)
def work():
    barrier.wait()
    keep = [bytearray(4096) for _ in range(2000)]
    barrier.wait()
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.open_memstream.restype = ctypes.c_void_p
buffer, size = ctypes.c_char_p(), ctypes.c_size_t()
stream = libc.open_memstream(ctypes.byref(buffer), ctypes.byref(size))
libc.malloc_info(0, ctypes.c_void_p(stream))
libc.fclose(ctypes.c_void_p(stream))
print(buffer.value.decode().count("<heap nr="))
"""
    counts = {mode: int(subprocess.run([sys.executable, "-c", program, mode], check=True,
                                       capture_output=True, text=True).stdout)
              for mode in ("limited", "default")}
    assert counts["limited"] <= 2 < counts["default"]
