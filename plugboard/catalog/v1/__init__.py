"""Generated from protos/plugboard/catalog/v1: do not edit."""
