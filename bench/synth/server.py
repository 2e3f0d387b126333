"""Serve a generated district with nginx: one ``server`` per site on its own 127.0.0.1 port.

Hanweb ``dataproxy.jsp`` POSTs are answered from static files: the URL is rewritten to
``dp_<startrecord>.xml`` and nginx's 405 for a POST on a static file is turned into a 200 GET.

    with Nginx(manifest, work_dir) as srv: ...
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path
from typing import Any

SERVER = """    server {{
        listen 127.0.0.1:{port};
        root {root};
        location ~ ^(?<col>/col/col\\d+/)dataproxy\\.jsp$ {{ rewrite ^ $col/dp_$arg_startrecord.xml last; }}
        location ~ /dp_\\d+\\.xml$ {{ error_page 405 =200 $uri; }}
    }}
"""


def port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def nginx_conf(manifest: dict[str, Any], prefix: Path, workers: int = 1) -> str:
    sites = manifest["sites"]
    servers = "".join(SERVER.format(port=s["port"], root=s["root"]) for s in sites)
    return f"""daemon off;
worker_processes {workers};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log error;
events {{ worker_connections {min(len(sites) + 8192, 19000)}; }}
http {{
    access_log off;
    sendfile on;
    keepalive_requests 100000;
    types {{ text/html html; application/pdf pdf; text/xml xml; text/css css; text/plain txt; application/javascript js jsp; }}
    charset utf-8;
    charset_types text/xml text/plain;
    client_body_temp_path {prefix}/tmp_body;
    proxy_temp_path {prefix}/tmp_proxy;
    fastcgi_temp_path {prefix}/tmp_fcgi;
    uwsgi_temp_path {prefix}/tmp_uwsgi;
    scgi_temp_path {prefix}/tmp_scgi;
{servers}}}
"""


class Nginx:
    """Start nginx for a manifest's sites (context manager); stops it on exit."""

    def __init__(self, manifest: dict[str, Any], prefix: Path, workers: int = 1) -> None:
        self.manifest = manifest
        self.prefix = prefix
        self.workers = workers
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Nginx:
        self.prefix.mkdir(parents=True, exist_ok=True)
        ports = [s["port"] for s in self.manifest["sites"]]
        busy = [p for p in ports[:50] + ports[-50:] if port_open(p)]
        if busy:
            raise SystemExit(f"ports already in use: {busy[:5]}")
        conf = self.prefix / "nginx.conf"
        conf.write_text(nginx_conf(self.manifest, self.prefix, self.workers), encoding="utf-8")
        self.proc = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(self.prefix)])
        for _ in range(400):
            if port_open(ports[-1]) and port_open(ports[0]):
                return self
            if self.proc.poll() is not None:
                raise SystemExit(f"nginx exited with {self.proc.returncode} (see {self.prefix}/error.log)")
            time.sleep(0.05)
        self.stop()
        raise SystemExit("nginx did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    def __enter__(self) -> Nginx:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
