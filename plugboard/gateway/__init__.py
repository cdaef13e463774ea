"""Generated from protos/plugboard/gateway: do not edit."""
