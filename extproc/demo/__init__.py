"""Demo pieces for `make run` and the end-to-end tests; not used by the server."""
