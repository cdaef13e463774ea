"""The baseline: a minimal grpc.aio unary server, the ceiling of a Python gRPC service on this machine.

``python -m bench.echo_server --port P --response-file F``: serves ``/bench.Echo/Echo``, which parses the
request as a ``GetConnectorRequest`` (as a real servicer would) and answers the bytes of ``F`` (a
serialized Connector taken from the seeded catalog, so the answer has a Connector's size). No
interceptor, no health service, no database: what is left is grpcio, the event loop and protobuf parsing.
Same server options as Plugboard's servers where they matter (message sizes).

``--frame plugboard`` serves the same handler through ``plugboard.rpc.server.build_server`` (the
``echo_plugboard_frame`` scenario): the difference to the bare server is what Plugboard's server frame
costs per call, before any handler, database or conversion.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path

import grpc

from plugboard.catalog.v1 import catalog_service_pb2

METHOD = "/bench.Echo/Echo"


async def serve(port: int, response: bytes, frame: str, log_level: str) -> None:
    if frame == "plugboard":
        await serve_in_plugboard_frame(port, response, log_level)
        return
    server = grpc.aio.server(options=[("grpc.max_receive_message_length", 4 * 1024 * 1024),
                                      ("grpc.max_send_message_length", 4 * 1024 * 1024)])
    server.add_generic_rpc_handlers((_handler(response),))
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await _until_signal()
    await server.stop(1)


def _handler(response: bytes) -> grpc.GenericRpcHandler:

    async def echo(request: catalog_service_pb2.GetConnectorRequest, context: grpc.aio.ServicerContext) -> bytes:
        return response

    return grpc.method_handlers_generic_handler("bench.Echo", {
        "Echo": grpc.unary_unary_rpc_method_handler(
            echo,
            request_deserializer=catalog_service_pb2.GetConnectorRequest.FromString,
            response_serializer=None,  # already bytes
        ),
    })


async def serve_in_plugboard_frame(port: int, response: bytes, log_level: str) -> None:
    """The same handler inside Plugboard's server frame (``plugboard.rpc.server.build_server``: edge
    interceptor with its access log line, health, reflection, limits), to tell what the frame costs
    from what the handlers cost."""
    from plugboard.logs import configure_logging
    from plugboard.rpc.server import ServiceSpec, build_server, shutdown, start

    configure_logging(log_level)
    handler = _handler(response)
    served = build_server([ServiceSpec("bench.Echo", lambda s: s.add_generic_rpc_handlers((handler,)))],
                          host="127.0.0.1", port=port, max_message_bytes=4 * 1024 * 1024, max_concurrent_rpcs=1000)
    await start(served)
    await _until_signal()
    await shutdown(served, 1)


async def _until_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--response-file", type=Path, required=True)
    parser.add_argument("--frame", choices=("bare", "plugboard"), default="bare",
                        help="bare grpc.aio server (the baseline) or Plugboard's server frame")
    parser.add_argument("--log-level", default="INFO", help="with --frame plugboard")
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.response_file.read_bytes(), args.frame, args.log_level))


if __name__ == "__main__":
    main()
