"""Who leaks how much: attribution, per-exchange volume rules, per-client
budgets over time and size caps. Budgets live in memory by default and in
Redis (``redis_store``, handed in by the server) when several replicas share them.
Nothing here imports gRPC, OpenTelemetry or (outside ``redis_store``) Redis."""
