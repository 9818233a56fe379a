"""The real stack on loopback (Envoy from the virtualenv, the server, an
upstream, Redis) that the tests, the benchmarks and the tools start."""
