#!/usr/bin/python3
"""A small HTTP/1.1 file server with Range support, for benchmarks and screenshots on 127.0.0.1
only (Debian's `python3 -m http.server` ignores Range). Counts the bytes it sends.

usage: range_server.py DIR [--port N] [--port-file F] [--cert PEM --key PEM] [--no-ranges]
(prints the port; stops on SIGTERM; --cert/--key: https; --no-ranges: ignores Range and sends
the whole file with 200, as a server without range support does)
"""
import argparse
import http.server
import os
import re
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall
    root = "."
    no_ranges = False

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = os.path.join(self.root, os.path.basename(self.path.split("?")[0]))
        if not os.path.isfile(path):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        size = os.path.getsize(path)
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        first, last, status = 0, size - 1, 200
        if m and not self.no_ranges:
            first = int(m.group(1))
            last = min(int(m.group(2)) if m.group(2) else size - 1, size - 1)
            status = 206
            if first >= size or last < first:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        self.send_response(status)
        self.send_header("Accept-Ranges", "none" if self.no_ranges else "bytes")
        self.send_header("Content-Length", str(last - first + 1))
        if status == 206:
            self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
        self.end_headers()
        with open(path, "rb") as f:
            f.seek(first)
            left = last - first + 1
            while left > 0:
                chunk = f.read(min(left, 1 << 20))
                if not chunk:
                    break
                self.wfile.write(chunk)
                left -= len(chunk)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--no-ranges", action="store_true")
    a = ap.parse_args()
    Handler.root = a.dir
    Handler.no_ranges = a.no_ranges
    server = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    if a.cert:
        import ssl
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(a.cert, a.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    port = server.server_address[1]
    if a.port_file:
        with open(a.port_file, "w") as f:
            f.write(str(port))
    print(port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
