from google.api import annotations_pb2 as _annotations_pb2
from plugboard.history.v1 import history_pb2 as _history_pb2
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor
