"""Generated from protos/plugboard/instance: do not edit."""
