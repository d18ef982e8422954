"""A request body -> the raw texts of its events: one JSON object, a JSON array of them, or
NDJSON (one a line). Array elements are cut out of the text, not parsed and re-serialised, so
each reaches the door exactly as sent (the door refuses, for example, a key given twice)."""

from schemas.door import BOM

MAX_BYTES = 10 * 2**20
NDJSON_TYPES = {"application/x-ndjson", "application/ndjson", "application/jsonl",
                "application/x-jsonlines", "application/jsonlines"}
JSON_TYPES = {"application/json"}


class BadBody(ValueError):
    """The body cannot be split into events; `status` is the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


# aiohttp raises on a body it cannot decode as its Content-Encoding says (a 500 with a
# traceback until a hunt of 2026-12-06); the header's value is not repeated (a sender's text)
UNREADABLE = ("the body could not be read as its Content-Encoding says (or its chunked "
              "transfer is broken): send it uncompressed, or as valid gzip or deflate")


def split(content_type: str, body: bytes) -> list[bytes]:
    # A byte order mark opening the body is no part of the first event, as replay reads one
    # opening a file (an NDJSON body saved by an editor that writes one: its first event
    # was a dead letter, "Invalid JSON", here while replay of the same bytes took it).
    if body.startswith(BOM):
        body = body[len(BOM):]
    if content_type in NDJSON_TYPES:
        return [line for line in body.split(b"\n") if line.strip()]
    if content_type not in JSON_TYPES:
        raise BadBody(415, "send application/json (an event or an array of events) or "
                      "application/x-ndjson (an event a line)")
    text = body.strip()
    if text.startswith(BOM):  # after white space
        text = text[len(BOM):].strip()
    if text.startswith(b"{"):
        return [text]
    if text.startswith(b"["):
        return _elements(text)
    raise BadBody(400, "the body is neither a JSON object nor a JSON array of objects")


def _elements(text: bytes) -> list[bytes]:
    """The top-level elements of a JSON array, as slices of its text."""
    out: list[bytes] = []
    depth, start, in_string, escaped = 0, -1, False, False
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == 0x5C:  # backslash
                escaped = True
            elif ch == 0x22:  # quote
                in_string = False
            continue
        if ch == 0x22:
            in_string = True
            if depth == 1 and start < 0:
                start = i
        elif ch in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth == 2 and start < 0:
                start = i
        elif ch in (0x5D, 0x7D):  # ] }
            depth -= 1
            if depth == 0:
                if start >= 0:
                    out.append(text[start:i].strip())
                if text[i + 1:].strip():
                    raise BadBody(400, "text after the end of the JSON array")
                return out
        elif ch == 0x2C and depth == 1:  # a comma between elements
            if start < 0:
                raise BadBody(400, "an empty element in the JSON array")
            out.append(text[start:i].strip())
            start = -1
        elif depth == 1 and start < 0 and ch not in b" \t\r\n":
            start = i
        if depth < 0:
            break
    raise BadBody(400, "the JSON array is not closed")
