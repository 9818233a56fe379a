"""The gRPC edge: protobuf in, ``extproc.exchange`` calls, protobuf out; the
server and its worker processes. Nothing below this package knows gRPC."""
