"""The OTLP/HTTP wire format of trace exports (docs/telemetry.md), with `opentelemetry-proto`:
the body decompressed within a cap, decoded from protobuf or from OTLP/JSON, each span read
into `folding.SpanFacts`, and the answers (an export response, or a `google.rpc.Status` for an
error) encoded as the request was. No Django here.

OTLP/JSON differs from protobuf's standard JSON mapping in one way that matters: trace and
span ids are hex strings, not base64. They are turned into base64 before
`google.protobuf.json_format` parses the message.
"""

from __future__ import annotations

import base64
import json
import math
import zlib
from dataclasses import dataclass

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from .folding import OPERATIONS, SpanFacts, bounded_key

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
CONTENT_TYPES = (PROTOBUF, JSON)
STATUS_ERROR = 2  # Status.STATUS_CODE_ERROR
EVALUATION_EVENT = "gen_ai.evaluation.result"
SCORE = "gen_ai.evaluation.score.value"
# google.rpc.Code values for the error answers.
INVALID_ARGUMENT = 3
UNAUTHENTICATED = 16
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
_CHUNK = 256 * 1024
# A token count above this is not a count (a wrong or hostile value): ignored.
MAX_TOKENS = 10**12


class Unreadable(Exception):
    """400: the body is not an export (its message says why)."""


class TooLarge(Exception):
    """413: the body decompresses to more than the cap."""


class UnsupportedEncoding(Exception):
    """415: a content encoding other than gzip or identity."""


@dataclass
class Export:
    spans: list[SpanFacts]
    rejected: int


def decompress(body: bytes, encoding: str, *, cap: int) -> bytes:
    """The body as sent, or gunzipped a chunk at a time; past `cap` bytes TooLarge (a gzip
    bomb stops there, never inflated whole)."""
    encoding = (encoding or "").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding != "gzip":
        raise UnsupportedEncoding(
            f"Content-Encoding {encoding[:40]} is not supported: send gzip or none."
        )
    out: list[bytes] = []
    total = 0
    data = body
    while data:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        pending = data
        try:
            while not inflater.eof:
                chunk = inflater.decompress(pending, _CHUNK)
                pending = inflater.unconsumed_tail
                total += len(chunk)
                if total > cap:
                    raise TooLarge(f"The body inflates to more than {cap // (1024 * 1024)} MiB.")
                out.append(chunk)
                if not chunk and not pending:
                    raise Unreadable("The gzip body is truncated.")
        except zlib.error as exc:
            raise Unreadable("The body is not valid gzip.") from exc
        data = inflater.unused_data  # a further gzip member, if any
    return b"".join(out)


def _hex_to_b64(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        return ""  # an id that is not hex: the span is counted as rejected
    return base64.b64encode(raw).decode()


_ID_FIELDS = ("traceId", "trace_id", "spanId", "span_id", "parentSpanId", "parent_span_id")


def _fix_ids(item: object) -> None:
    if not isinstance(item, dict):
        return
    for name in _ID_FIELDS:
        if name in item:
            item[name] = _hex_to_b64(item[name])
    for link in item.get("links") or ():
        if isinstance(link, dict):
            for name in _ID_FIELDS:
                if name in link:
                    link[name] = _hex_to_b64(link[name])


def _items(parent: object, *names: str) -> list:
    if not isinstance(parent, dict):
        return []
    for name in names:
        value = parent.get(name)
        if isinstance(value, list):
            return value
    return []


def parse(data: bytes, content_type: str) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    if content_type == PROTOBUF:
        try:
            request.ParseFromString(data)
        except (DecodeError, ValueError, RecursionError) as exc:
            raise Unreadable("The body is not a protobuf ExportTraceServiceRequest.") from exc
        return request
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise Unreadable("The body is not valid JSON.") from exc
    if not isinstance(document, dict):
        raise Unreadable("Send an ExportTraceServiceRequest object as the JSON body.")
    for resource in _items(document, "resourceSpans", "resource_spans"):
        for scope in _items(resource, "scopeSpans", "scope_spans"):
            for span in _items(scope, "spans"):
                _fix_ids(span)
    try:
        json_format.ParseDict(document, request, ignore_unknown_fields=True)
    except (json_format.ParseError, ValueError, TypeError, AttributeError, RecursionError) as exc:
        message = str(exc).splitlines()[0][:300] if str(exc) else "unreadable"
        raise Unreadable(f"The JSON is not an OTLP trace export: {message}") from exc
    return request


def _count(value) -> int:
    which = value.WhichOneof("value")
    if which == "int_value":
        number = value.int_value
    elif which == "double_value" and math.isfinite(value.double_value):
        if not value.double_value.is_integer():
            return 0
        number = int(value.double_value)
    else:
        return 0
    return number if 0 <= number <= MAX_TOKENS else 0


def _text(value) -> str | None:
    which = value.WhichOneof("value")
    if which == "string_value":
        return value.string_value or None
    if which == "int_value":  # an id sent as a number
        return str(value.int_value)
    return None


def _score(event) -> float | None:
    for kv in event.attributes:
        if kv.key == SCORE:
            which = kv.value.WhichOneof("value")
            if which == "double_value":
                number = kv.value.double_value
            elif which == "int_value":
                number = float(kv.value.int_value)
            else:
                return None
            return number if math.isfinite(number) else None
    return None


def _facts(span) -> SpanFacts:
    kind = tool = conversation = None
    input_tokens = output_tokens = 0
    failed = span.status.code == STATUS_ERROR
    for kv in span.attributes:
        key = kv.key
        if not key.startswith(("gen_ai.", "error.")):
            continue
        if key == "gen_ai.operation.name":
            name = _text(kv.value)
            kind = OPERATIONS.get(name or "")
        elif key == "gen_ai.tool.name":
            text = _text(kv.value)
            tool = (text.strip()[:200] or None) if text else None
        elif key == "gen_ai.usage.input_tokens":
            input_tokens = _count(kv.value)
        elif key == "gen_ai.usage.output_tokens":
            output_tokens = _count(kv.value)
        elif key == "gen_ai.conversation.id":
            text = _text(kv.value)
            conversation = bounded_key(text) if text else None
        elif key == "error.type":
            failed = failed or kv.value.WhichOneof("value") is not None
    scores: tuple[float, ...] = ()
    if kind is not None and span.events:
        found = [_score(event) for event in span.events if event.name == EVALUATION_EVENT]
        scores = tuple(s for s in found if s is not None)
    return SpanFacts(
        trace_id=span.trace_id,
        span_id=span.span_id,
        parent_id=span.parent_span_id,
        end_ns=span.end_time_unix_nano,
        kind=kind,
        tool=tool,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        conversation=conversation,
        failed=failed,
        scores=scores,
    )


_NO_TRACE = bytes(16)
_NO_SPAN = bytes(8)


def read(request: ExportTraceServiceRequest) -> Export:
    """Every span of the export as facts; a span without a valid trace id, span id, start or
    end time is counted as rejected. Resource attributes are not read: the token names the
    agent."""
    spans: list[SpanFacts] = []
    rejected = 0
    for resource in request.resource_spans:
        for scope in resource.scope_spans:
            for span in scope.spans:
                if (
                    len(span.trace_id) != 16
                    or span.trace_id == _NO_TRACE
                    or len(span.span_id) != 8
                    or span.span_id == _NO_SPAN
                    or not span.start_time_unix_nano
                    or not span.end_time_unix_nano
                ):
                    rejected += 1
                    continue
                spans.append(_facts(span))
    return Export(spans=spans, rejected=rejected)


def decode(data: bytes, content_type: str) -> Export:
    return read(parse(data, content_type))


def export_response(*, rejected: int, as_json: bool) -> bytes:
    """The ExportTraceServiceResponse: partial_success only when some spans were rejected."""
    response = ExportTraceServiceResponse()
    if rejected:
        response.partial_success.rejected_spans = rejected
        response.partial_success.error_message = (
            f"{rejected} span(s) had no valid trace id, span id, start or end time."
        )
    if as_json:
        return json_format.MessageToJson(response, indent=None).encode()
    return response.SerializeToString()


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        byte = number & 0x7F
        number >>= 7
        if number:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def status_body(*, code: int, message: str, as_json: bool) -> bytes:
    """A google.rpc.Status {code, message}, as protobuf (fields 1 and 2) or as JSON."""
    if as_json:
        return json.dumps({"code": code, "message": message}).encode()
    text = message.encode()
    return b"\x08" + _varint(code) + b"\x12" + _varint(len(text)) + text
