"""gunicorn's threaded worker, recycled without dropping a request (issue 15).

``max_requests`` restarts a worker after so many requests (with ``max_requests_jitter`` so the workers do not all
restart at once). gunicorn 23's ``gthread`` worker then leaves its loop at once: connections it has accepted but
not read yet, and idle kept-alive connections, are closed when the process exits, so a client that has just sent
a request on one of them gets a reset (benoitc/gunicorn#3038, seen in our load test). This worker *drains*
instead: it stops accepting (the other workers take new connections), answers whatever arrives on the
connections it holds with ``Connection: close``, lets idle ones reach their keep-alive timeout as usual, and exits
when it holds none, or after ``graceful_timeout``. A graceful shutdown (SIGTERM) drains the same way.
"""

from __future__ import annotations

import selectors
import time
from concurrent import futures
from functools import partial

from gunicorn.workers.gthread import ThreadWorker


class DrainingThreadWorker(ThreadWorker):
    def accept(self, server, listener):
        if not self.alive:  # a select() batch may still hold the listener: leave it to the other workers
            return
        super().accept(server, listener)

    def finish_request(self, fs):
        # A response that was already under way when the worker started draining was sent without
        # ``Connection: close``, so its client may reuse the connection: keep it (the loop drains it) rather than
        # close it under the client.
        if fs.cancelled() or self.alive:
            return super().finish_request(fs)
        try:
            keepalive, conn = fs.result()
        except Exception:  # noqa: BLE001 - as the base class: close the socket of a failed request
            self.nr_conns -= 1
            fs.conn.close()
            return
        if not keepalive:
            self.nr_conns -= 1
            conn.close()
            return
        conn.sock.setblocking(False)
        conn.set_timeout()
        with self._lock:
            self._keep.append(conn)
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_client_socket_readable, conn))

    def _stop_accepting(self) -> None:
        for sock in self.sockets:
            with self._lock:
                try:
                    self.poller.unregister(sock)
                except (KeyError, ValueError, OSError):
                    pass

    def run(self):
        for sock in self.sockets:
            sock.setblocking(False)
            server = sock.getsockname()
            self.poller.register(sock, selectors.EVENT_READ, partial(self.accept, server))

        deadline = None
        while True:
            if not self.alive:
                if deadline is None:
                    deadline = time.monotonic() + self.cfg.graceful_timeout
                    self._stop_accepting()
                    self.log.info("Draining %d connection(s) before the worker exits", self.nr_conns)
                if (self.nr_conns <= 0 and not self.futures) or time.monotonic() > deadline:
                    break
            self.notify()
            if self.nr_conns < self.worker_connections:
                for key, _ in self.poller.select(1.0 if self.alive else 0.05):
                    key.data(key.fileobj)
                result = futures.wait(self.futures, timeout=0, return_when=futures.FIRST_COMPLETED)
            else:
                result = futures.wait(self.futures, timeout=1.0, return_when=futures.FIRST_COMPLETED)
            for fut in result.done:
                self.futures.remove(fut)
            if not self.is_parent_alive():
                break
            self.murder_keepalived()

        self.tpool.shutdown(False)
        self.poller.close()
        for s in self.sockets:
            s.close()
        futures.wait(self.futures, timeout=self.cfg.graceful_timeout)
