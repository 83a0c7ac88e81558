"""Gunicorn settings for the production profile (PostgreSQL, several workers). Every value can be overridden with
an environment variable of the same name in capitals (e.g. WEB_CONCURRENCY=4, PORT=8000)."""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104 - behind a proxy
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count() * 2)))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# gthread that drains before a recycled or stopped worker exits (app/gunicorn_worker.py: the stock worker resets
# connections it holds when max_requests restarts it, benoitc/gunicorn#3038)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "app.gunicorn_worker.DrainingThreadWorker")
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# How long a stopping or recycled worker may take to finish its requests and drain its connections (it is killed
# after). Longer than the slowest page, so a deploy or a recycle never cuts a response.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Idle keep-alive, seconds. Whoever closes an idle connection races the other side sending on it, so the proxy in
# front must close first: set its upstream idle timeout *below* this (nginx: ``keepalive_timeout 4s`` in the upstream
# block). Clients talking to gunicorn directly
# (the load driver) see it close idle connections after this many seconds, as any HTTP/1.1 server does.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers (bounded memory growth), each after max_requests plus a random 0..jitter, so two workers do not
# restart together and leave no one to answer.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))
accesslog = None  # the app writes one structured JSON line per request (MIO_LOG_FORMAT=json)
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
raw_env = [f"MIO_LOG_FORMAT={os.environ.get('MIO_LOG_FORMAT', 'json')}"]
