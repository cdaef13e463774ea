"""The load generator: a separate process that drives one server with prepared requests.

It never serializes a message: gRPC calls are generic unary calls on raw bytes
(``channel.unary_unary(method)`` without serializers) with requests serialized once by the harness; HTTP
calls are prepared HTTP/1.1 keep-alive requests on one connection per worker. ``concurrency`` workers
each run one call at a time, back to back, so concurrency is the number of calls in flight.

Protocol (JSON lines on stdin/stdout), so one process serves a whole run:
- ``{"op": "prepare", "name": N, "kind": "grpc"|"http", "target": ..., "method": ..., "metadata": [[k, v]],
  "requests": [b64...]}`` (shared, cycled) or ``"sequences": [[b64...] per worker]`` (each worker walks its
  own list once, for writes that need fresh versions); for http ``"requests"`` are raw HTTP requests.
- ``{"op": "run", "name": N, "concurrency": C, "duration": s, "max_calls": n, "expect": "OK"}`` answers
  ``{"calls", "ok", "codes": {code: count}, "elapsed", "latencies_us": [...]}``; calls ending with a
  status other than ``expect`` count in ``codes`` only.
- ``{"op": "quit"}``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import time
from dataclasses import dataclass, field

import grpc

CALL_TIMEOUT = 30.0


@dataclass
class Prepared:
    kind: str
    target: str
    method: str
    metadata: tuple[tuple[str, str], ...]
    requests: list[bytes]
    sequences: list[list[bytes]] | None
    positions: dict[int, int] = field(default_factory=dict)
    channel: grpc.aio.Channel | None = None


class Generator:
    def __init__(self) -> None:
        self.prepared: dict[str, Prepared] = {}

    async def prepare(self, cmd: dict) -> dict:
        old = self.prepared.pop(cmd["name"], None)
        if old is not None and old.channel is not None:
            await old.channel.close()
        decode = base64.b64decode
        sequences = [[decode(r) for r in seq] for seq in cmd["sequences"]] if cmd.get("sequences") else None
        prepared = Prepared(
            kind=cmd.get("kind", "grpc"), target=cmd["target"], method=cmd.get("method", ""),
            metadata=tuple(tuple(pair) for pair in cmd.get("metadata", ())),  # type: ignore[misc]
            requests=[decode(r) for r in cmd.get("requests", ())], sequences=sequences,
        )
        if prepared.kind == "grpc":
            options = [("grpc.max_receive_message_length", 64 * 1024 * 1024)]
            if cmd.get("lb"):
                options.append(("grpc.lb_policy_name", cmd["lb"]))
            prepared.channel = grpc.aio.insecure_channel(prepared.target, options=options)
            await asyncio.wait_for(prepared.channel.channel_ready(), 10)
        self.prepared[cmd["name"]] = prepared
        return {"prepared": cmd["name"]}

    async def run(self, cmd: dict) -> dict:
        p = self.prepared[cmd["name"]]
        concurrency = int(cmd["concurrency"])
        duration = float(cmd["duration"])
        max_calls = int(cmd.get("max_calls") or 0)
        expect = cmd.get("expect", "OK")
        latencies: list[int] = []
        codes: dict[str, int] = {}
        counter = {"started": 0}
        stop_at = time.perf_counter() + duration

        def next_request(worker: int) -> bytes | None:
            if max_calls and counter["started"] >= max_calls:
                return None
            if time.perf_counter() >= stop_at:
                return None
            if p.sequences is not None:
                seq = p.sequences[worker % len(p.sequences)]
                pos = p.positions.get(worker, 0)
                if pos >= len(seq):
                    return None
                p.positions[worker] = pos + 1
                request = seq[pos]
            else:
                pos = p.positions.get(worker, worker)
                p.positions[worker] = pos + concurrency
                request = p.requests[pos % len(p.requests)]
            counter["started"] += 1
            return request

        async def grpc_worker(worker: int) -> None:
            assert p.channel is not None
            call = p.channel.unary_unary(p.method)
            metadata = p.metadata or None
            while (request := next_request(worker)) is not None:
                began = time.perf_counter_ns()
                try:
                    await call(request, timeout=CALL_TIMEOUT, metadata=metadata)
                    code = "OK"
                except grpc.aio.AioRpcError as exc:
                    code = exc.code().name
                if code == expect:
                    latencies.append((time.perf_counter_ns() - began) // 1000)
                else:
                    codes[code] = codes.get(code, 0) + 1

        async def http_worker(worker: int) -> None:
            host, port = p.target.rsplit(":", 1)
            reader, writer = await asyncio.open_connection(host, int(port))
            try:
                while (request := next_request(worker)) is not None:
                    began = time.perf_counter_ns()
                    writer.write(request)
                    status = await _read_http_response(reader)
                    code = "OK" if status == 200 else f"HTTP_{status}"
                    if code == expect:
                        latencies.append((time.perf_counter_ns() - began) // 1000)
                    else:
                        codes[code] = codes.get(code, 0) + 1
            finally:
                writer.close()

        worker = grpc_worker if p.kind == "grpc" else http_worker
        began = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        elapsed = time.perf_counter() - began
        return {"calls": len(latencies) + sum(codes.values()), "ok": len(latencies), "codes": codes,
                "elapsed": elapsed, "latencies_us": latencies}


async def _read_http_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def main() -> None:
    generator = Generator()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 30)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            return
        cmd = json.loads(line)
        try:
            if cmd["op"] == "prepare":
                answer = await generator.prepare(cmd)
            elif cmd["op"] == "run":
                answer = await generator.run(cmd)
            elif cmd["op"] == "quit":
                return
            else:
                answer = {"error": f"unknown op {cmd['op']!r}"}
        except Exception as exc:  # report and keep serving; the harness decides
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
