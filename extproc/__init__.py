"""Data-loss-prevention filter for LLM traffic, as an Envoy ext_proc service."""

__version__ = "0.1.0"
