"""Generated from protos/plugboard/history/v1: do not edit."""
