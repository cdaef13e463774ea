"""Plugboard's benchmark harness (issue 6): Plugboard's RPCs measured against a minimal grpcio echo server.

``python -m bench --quick`` (under 3 minutes) or ``python -m bench`` (full data set). Everything runs as
separate processes on loopback: the servers (``python -m plugboard serve ...``), the echo server
(``bench.echo_server``) and the load generator (``bench.loadgen``), so the generator never shares an
event loop or a GIL with what it measures. Each scenario's throughput is reported as a ratio to the echo
server measured in the same run with the same generator and concurrency; absolute numbers on a shared
2-core machine are noise, ratios are the figure.

Modules:
- ``bench.__main__``: the command line and the run (databases, seeding, servers, scenarios, extras).
- ``bench.procs``: free ports, server subprocesses, health waits, /proc CPU and RSS readings.
- ``bench.databases``: fresh SQLite directories and throw-away PostgreSQL databases.
- ``bench.seed``: loads the data set through the services' storage layers (the one place to adapt
  when a storage layer changes).
- ``bench.scenarios``: what each scenario calls, with prepared serialized requests.
- ``bench.loadgen``: the load generator process (grpc.aio generic calls on raw bytes; HTTP/1.1).
- ``bench.echo_server``: the baseline.
- ``bench.auth``: an API key for the gateway, when the gateway has keys.
- ``bench.report``: markdown table of a results file.
"""
