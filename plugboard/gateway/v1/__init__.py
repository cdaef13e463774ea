"""Generated from protos/plugboard/gateway/v1: do not edit."""
