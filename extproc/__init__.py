"""Data-loss-prevention filter for LLM traffic, as an Envoy ext_proc service."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("extproc-dlp")  # pyproject.toml's, as installed
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"
