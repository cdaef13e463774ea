"""The catalog's gRPC adapters: proto conversion and servicers."""
