"""Publishing and preview pipeline: reading a connector's repository, and the jobs that run it."""
