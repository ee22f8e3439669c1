#!/usr/bin/env python3
"""An endpoint that answers medeval's start-up check and then disappears.

    python3 bench/realmodel/vanishing_endpoint.py MODEL PORT_FILE

Listens on a free loopback port (written to PORT_FILE), answers the first `GET /v1/models` with
MODEL, then closes its socket and exits: from then on nothing listens on the port, so every chat
request sent there fails to connect. Unasked, it exits after 10 minutes. medeval checks every endpoint before a run, so a port that
is dead from the start ends the run before it begins; this one dies after the check.
"""
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


class ModelsOnce(BaseHTTPRequestHandler):
    served = False

    def do_GET(self):  # noqa: N802 (the stdlib's name)
        if self.path.rstrip("/") != "/v1/models":
            self.send_error(404)
            return
        body = json.dumps({"object": "list",
                           "data": [{"id": sys.argv[1], "object": "model"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        ModelsOnce.served = True

    def log_message(self, *args):
        pass


def main():
    server = HTTPServer(("127.0.0.1", 0), ModelsOnce)
    with open(sys.argv[2] + ".tmp", "w") as out:
        out.write(str(server.server_address[1]))
    os.replace(sys.argv[2] + ".tmp", sys.argv[2])
    server.timeout = 1
    deadline = time.monotonic() + 600
    while not ModelsOnce.served and time.monotonic() < deadline:
        server.handle_request()
    server.server_close()


if __name__ == "__main__":
    main()
