"""The catalog's rules in plain Python: no grpc, no peewee."""
