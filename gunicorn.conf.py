"""Gunicorn settings for the production profile (PostgreSQL, several workers). Every value can be overridden with
an environment variable of the same name in capitals (e.g. WEB_CONCURRENCY=4, PORT=8000)."""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104 - behind a proxy
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count() * 2)))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
accesslog = None  # the app writes one structured JSON line per request (MIO_LOG_FORMAT=json)
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
raw_env = [f"MIO_LOG_FORMAT={os.environ.get('MIO_LOG_FORMAT', 'json')}"]
