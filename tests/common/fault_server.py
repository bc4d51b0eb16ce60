#!/usr/bin/env python3
"""fault_server.py - the HTTP client tests' own misbehaving server.

Listens on 127.0.0.1 on a port of the kernel's choosing and prints
"PORTS <http> <silent>" on stdout once ready: <http> serves the paths below,
<silent> accepts connections and never says a word (a TLS handshake there
never ends: the connect timeout's test). Runs until killed.

  /echo                 any method: JSON of method, path, query, headers, body
  /status/N             status N, text body
  /slow?delay=S         waits S seconds before answering
  /slowbody?delay=S     sends headers and half the body, then waits S seconds
  /drop                 promises 1000 bytes, sends 100, closes
  /badjson              application/json that is not JSON
  /html                 text/html
  /empty                200 with an empty body
  /huge?n=N             N bytes of 'x' (application/octet-stream)
  /chunked?n=N&c=C      N bytes in chunks of C bytes (no Content-Length)
  /redirect/N           N redirects (302) then /echo
  /loop                 redirects to itself forever
  /cookie/set?k=v       Set-Cookie: k=v
  /latin1               text/plain; charset=iso-8859-1 ("café")
  /gzip                 a gzip-encoded JSON body when the client accepts gzip
  /charset/NAME         "ok\\xff" declared as text/plain; charset=NAME
"""
import gzip
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, ctype="text/plain", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        url = urlsplit(self.path)
        q = parse_qs(url.query)
        path = url.path
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        if path == "/echo":
            doc = {
                "method": self.command,
                "path": path,
                "query": {k: v if len(v) > 1 else v[0] for k, v in q.items()},
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("latin-1"),
            }
            self.send(200, json.dumps(doc).encode(), "application/json")
        elif path.startswith("/status/"):
            code = int(path.split("/")[2])
            self.send(code, b"status %d\n" % code)
        elif path == "/slow":
            time.sleep(float(q.get("delay", ["5"])[0]))
            self.send(200, b"slow\n")
        elif path == "/slowbody":
            self.send_response(200)
            self.send_header("Content-Length", "10")
            self.end_headers()
            self.wfile.write(b"12345")
            self.wfile.flush()
            time.sleep(float(q.get("delay", ["5"])[0]))
            self.wfile.write(b"67890")
        elif path == "/drop":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"y" * 100)
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif path == "/badjson":
            self.send(200, b'{"a": 1,\n "b": }', "application/json")
        elif path == "/html":
            self.send(200, b"<html><body>hello</body></html>", "text/html; charset=utf-8")
        elif path == "/empty":
            self.send(200, b"")
        elif path == "/huge":
            self.send(200, b"x" * int(q.get("n", ["1000000"])[0]),
                      "application/octet-stream")
        elif path == "/chunked":
            total, c = int(q.get("n", ["100000"])[0]), int(q.get("c", ["1000"])[0])
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            sent = 0
            while sent < total:
                k = min(c, total - sent)
                self.wfile.write(b"%x\r\n" % k + bytes([48 + sent // c % 10]) * k + b"\r\n")
                sent += k
            self.wfile.write(b"0\r\n\r\n")
        elif path.startswith("/redirect/"):
            left = int(path.split("/")[2])
            to = "/echo" if left <= 1 else "/redirect/%d" % (left - 1)
            self.send(302, b"", extra=[("Location", to)])
        elif path == "/loop":
            self.send(302, b"", extra=[("Location", "/loop")])
        elif path == "/cookie/set":
            cookies = [("Set-Cookie", "%s=%s; Path=/" % (k, v[0])) for k, v in q.items()]
            self.send(200, b"set\n", extra=cookies)
        elif path == "/latin1":
            self.send(200, "caf\u00e9".encode("latin-1"), "text/plain; charset=ISO-8859-1")
        elif path.startswith("/charset/"):
            self.send(200, b"ok\xff", "text/plain; charset=" + path.split("/")[2])
        elif path == "/gzip":
            raw = json.dumps({"zipped": True, "pad": "z" * 1000}).encode()
            if "gzip" in (self.headers.get("Accept-Encoding") or ""):
                self.send(200, gzip.compress(raw), "application/json",
                          [("Content-Encoding", "gzip")])
            else:
                self.send(200, raw, "application/json")
        else:
            self.send(404, b"not found\n")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = handle_any


def silent(sock):
    held = []
    while True:
        conn, _ = sock.accept()
        held.append(conn)  # kept open, never written to


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    quiet = socket.socket()
    quiet.bind(("127.0.0.1", 0))
    quiet.listen(16)
    threading.Thread(target=silent, args=(quiet,), daemon=True).start()
    print("PORTS %d %d" % (srv.server_address[1], quiet.getsockname()[1]), flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
