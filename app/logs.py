"""Structured logs: one JSON object per line on stderr (``MIO_LOG_FORMAT=json``, the production profile), with a
request id, method, path, status, duration and user id for every request; plain text otherwise."""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, request


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "method", "path", "status", "duration_ms", "user_id", "remote_addr"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(app: Flask) -> None:
    fmt = app.config.get("LOG_FORMAT", "text")
    if fmt != "json":
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("mio", "mio.requests", "mio.jobs", app.logger.name):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False
    request_log = logging.getLogger("mio.requests")

    @app.before_request
    def _start_timer():
        g.request_started = time.perf_counter()
        g.request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex[:16]

    @app.after_request
    def _log_request(response):
        from flask_login import current_user

        started = g.get("request_started")
        duration = round(1000 * (time.perf_counter() - started), 1) if started else None
        user_id = current_user.get_id() if current_user and current_user.is_authenticated else None
        request_log.info(
            "request",
            extra={"request_id": g.get("request_id"), "method": request.method, "path": request.path,
                   "status": response.status_code, "duration_ms": duration, "user_id": user_id,
                   "remote_addr": request.remote_addr},
        )
        response.headers.setdefault("X-Request-ID", g.get("request_id", ""))
        return response
