"""The compiled core (zhseg/_core.c), built with the machine's C compiler. Optional: without a
compiler the install still succeeds and zhseg decodes on its numpy path (model/core.py)."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("zhseg._core", ["zhseg/_core.c"], optional=True,
                             extra_compile_args=["-O3", "-std=c99", "-Wall", "-Wno-unused-function"])])
