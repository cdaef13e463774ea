"""The catalog's storage: peewee models bound at start-up, migrations, and the store."""
