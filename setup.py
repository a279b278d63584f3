# setup.py exists only to name the cffi builder; all metadata lives in pyproject.toml.
from setuptools import setup

setup(cffi_modules=["csrc/build_logseg.py:ffibuilder"])
