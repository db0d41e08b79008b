"""The compiled core (zhseg/_core.c), built with the machine's C compiler. Optional: without a
compiler the install still succeeds and zhseg decodes on its numpy path (model/core.py)."""

import os
import platform
from pathlib import Path

from setuptools import Extension, setup


def cpu_flags() -> list[str]:
    """The building machine's population-count instruction (the core counts bits per weight
    lookup; without it gcc calls a slower library routine) and AVX2 (a weight row of four labels
    is added in one instruction: the same sums, lane by lane). zhseg is built where it runs;
    ZHSEG_PORTABLE_BUILD=1 leaves them out, for a build that runs on any x86-64."""
    if os.environ.get("ZHSEG_PORTABLE_BUILD"):
        return []
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    if platform.machine() not in ("x86_64", "AMD64"):
        return []
    flags = set(info.split())
    return [f"-m{name}" for name in ("popcnt", "avx2") if name in flags]


setup(ext_modules=[Extension("zhseg._core", ["zhseg/_core.c"], optional=True,
                             extra_compile_args=["-O3", "-std=c99", "-Wall", *cpu_flags()])])
