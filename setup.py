"""The compiled core (zhseg/_core.c), built with the machine's C compiler. Optional: without a
compiler the install still succeeds and zhseg decodes on its numpy path (model/core.py)."""

import platform
from pathlib import Path

from setuptools import Extension, setup


def cpu_flags() -> list[str]:
    """The population-count instruction where the building machine has it (the core counts bits
    per weight lookup; without it gcc calls a slower library routine). zhseg is built where it runs."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    return ["-mpopcnt"] if platform.machine() in ("x86_64", "AMD64") and " popcnt" in info else []


setup(ext_modules=[Extension("zhseg._core", ["zhseg/_core.c"], optional=True,
                             extra_compile_args=["-O3", "-std=c99", "-Wall", *cpu_flags()])])
