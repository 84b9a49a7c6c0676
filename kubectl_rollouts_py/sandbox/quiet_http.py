"""A threading HTTP server that binds without a DNS lookup and does not print a traceback
when a client goes away.

The sandbox's servers (the stand-in API server, the demo app, the sandbox's own page) are
talked to by clients that drop connections on purpose: Prometheus stopping mid-scrape, a CLI
killed by a test, a browser closing a stream. socketserver prints a traceback for each such
`OSError` (BrokenPipeError, ConnectionResetError) into whatever runs the server; these are
not server errors. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import socketserver
import sys
from http.server import ThreadingHTTPServer
from typing import Any


class QuietThreadingHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls getfqdn(), a reverse DNS lookup that can take seconds.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)
