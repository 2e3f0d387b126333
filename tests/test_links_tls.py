"""A link to an HTTPS server whose certificate cannot be trusted gets the reason code `tls`."""

from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
from pathlib import Path

import pytest
from test_links_check import FAST, add_links, make_config, open_db, verdicts

from crawler.linkcheck.runner import check_links


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def https_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed (Debian package openssl)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_untrusted_certificate_is_tls_and_only_suspect_after_one_run(tmp_path: Path, https_server: str) -> None:
    config = make_config(tmp_path, "http://127.0.0.1:9", recheck_delay_seconds=0, timeout_seconds=5, confirm_runs=2)
    db = open_db(config)
    add_links(db, [(f"{https_server}/secure.html", "http://127.0.0.1:9/", "a")])
    check_links(config, db, params=FAST)
    verdict, reason, failures = verdicts(db)["/secure.html"]
    from test_links_check import attempts
    details = [a.detail for a in attempts(db, "/secure.html")]
    assert (verdict, reason, failures) == ("suspect", "tls", 1), details
    db.dispose()
