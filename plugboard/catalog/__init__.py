"""Generated from protos/plugboard/catalog: do not edit."""
