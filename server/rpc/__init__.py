"""The gRPC edge: generic handlers around the thin servicers (validation, error mapping)."""
