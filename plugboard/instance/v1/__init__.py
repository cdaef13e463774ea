"""Generated from protos/plugboard/instance/v1: do not edit."""
