"""Plugboard: shared runtime (domain errors, gRPC edge, storage, logging) for the Plugboard services."""
