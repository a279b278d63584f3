"""The server's request limits, owned here (a leaf): app.py enforces them on the socket, command.py offers them as
``serve`` options, and the in-process mock (logstore.testing) refuses the same bodies without loading the HTTP
stack (protocol.py, httptools, uvicorn)."""
from __future__ import annotations

DEFAULT_MAX_BODY = 16 * 1024 * 1024      # DynamoDB's own request size limit
