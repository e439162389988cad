"""`load --sigv4`: every request carries a SigV4 signature that a server recomputes from what it received.

The server is a local echo on 127.0.0.1 that records each request; it verifies the signature the way API Gateway
does (canonical request -> string to sign -> HMAC chain), with its own code, not botocore's. Credentials are fake.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from securebank.cli import load
from securebank.demo.loadgen import send_paced
from securebank.demo.signing import host_header, sigv4_signer

ACCESS_KEY, SECRET_KEY, TOKEN = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token-example"


class FakeCredentials:
    access_key, secret_key, token = ACCESS_KEY, SECRET_KEY, TOKEN


class Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    received: list[tuple[str, dict[str, str], bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        reply = b'{"transaction_id":"x"}'
        self.send_response(201)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[tuple[str, dict[str, str], bytes]]]]:
    received: list[tuple[str, dict[str, str], bytes]] = []
    handler = type("Handler", (Recorder,), {"received": received})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", received
    httpd.shutdown()
    httpd.server_close()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def verify(path: str, headers: dict[str, str], body: bytes, secret: str = SECRET_KEY) -> dict[str, str]:
    """Recompute the request's signature from what arrived; return the Authorization header's parts."""
    algorithm, _, rest = headers["authorization"].partition(" ")
    assert algorithm == "AWS4-HMAC-SHA256"
    parts = dict(part.strip().split("=", 1) for part in rest.split(","))
    signed = parts["SignedHeaders"].split(";")
    canonical = "\n".join(
        [
            "POST",
            path,
            "",
            *(f"{name}:{headers[name].strip()}" for name in signed),
            "",
            parts["SignedHeaders"],
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = parts["Credential"].split("/", 1)[1]
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", headers["x-amz-date"], scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    date, region, service, terminator = scope.split("/")
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret}".encode(), date), region), service), terminator)
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, parts["Signature"]), "signature does not match the request as received"
    return parts


def bodies(count: int) -> list[dict[str, object]]:
    return [{"transaction_id": f"t-{i}", "amount": "12.50"} for i in range(count)]


def test_signed_requests_carry_a_valid_execute_api_signature_for_the_bytes_sent(server) -> None:
    url, received = server
    host = url.removeprefix("http://")
    signer = sigv4_signer(FakeCredentials(), "us-west-2", "http", host)
    load_result = asyncio.run(send_paced(url, None, bodies(5), rate=100, sign=signer, connections=2))
    assert [r.status for r in load_result.results] == [201] * 5
    assert len(received) == 5
    for path, headers, body in received:
        assert path == "/v1/transactions"
        parts = verify(path, headers, body)
        assert parts["Credential"] == f"{ACCESS_KEY}/{headers['x-amz-date'][:8]}/us-west-2/execute-api/aws4_request"
        assert {"host", "x-amz-date", "x-amz-security-token"} <= set(parts["SignedHeaders"].split(";"))
        assert headers["x-amz-security-token"] == TOKEN
        assert "x-api-key" not in headers


def test_a_tampered_body_fails_the_servers_check(server) -> None:
    url, received = server
    signer = sigv4_signer(FakeCredentials(), "us-east-1", "http", url.removeprefix("http://"))
    asyncio.run(send_paced(url, None, bodies(1), rate=10, sign=signer))
    [(path, headers, body)] = received
    with pytest.raises(AssertionError, match="signature"):
        verify(path, headers, body + b" ")
    with pytest.raises(AssertionError, match="signature"):
        verify(path, headers, body, secret="another-secret")


def test_the_stage_path_of_a_deployed_url_is_signed_and_sent(server) -> None:
    url, received = server
    signer = sigv4_signer(FakeCredentials(), "us-east-1", "http", url.removeprefix("http://"))
    asyncio.run(send_paced(f"{url}/prod", "key-1", bodies(1), rate=10, sign=signer))
    [(path, headers, body)] = received
    assert path == "/prod/v1/transactions"
    verify(path, headers, body)
    assert headers["x-api-key"] == "key-1"  # an API key, when given, travels beside the signature


def test_the_load_command_signs_with_the_sessions_credentials(server, monkeypatch) -> None:
    url, received = server
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    parser = argparse.ArgumentParser()
    load.configure(parser)
    args = parser.parse_args(["--url", url, "--sigv4", "--region", "eu-west-1", "--rate", "20", "--seconds", "0.5"])
    assert load.run(args) == 0
    assert len(received) == 10
    for path, headers, body in received:
        assert "/eu-west-1/execute-api/aws4_request" in verify(path, headers, body)["Credential"]


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    load.configure(parser)
    return parser.parse_args(list(argv))


def test_an_api_key_load_is_refused_off_the_loopback_interface() -> None:
    with pytest.raises(ValueError, match="loopback"):
        load.url_signer(_args("--url", "https://abc.execute-api.us-east-1.amazonaws.com/prod", "--api-key", "k"))


def test_signed_load_leaves_the_loopback_interface_only_over_https() -> None:
    with pytest.raises(SystemExit, match="https"):
        load.url_signer(_args("--url", "http://abc.execute-api.us-east-1.amazonaws.com/prod", "--sigv4"))


def test_the_signing_region_is_read_from_an_execute_api_host() -> None:
    assert load.signing_region("abc123.execute-api.us-west-2.amazonaws.com") == "us-west-2"
    assert load.signing_region("api.securebank.example") is None


def test_the_host_header_names_the_port_only_when_it_is_not_the_default() -> None:
    assert host_header("api.example", 443, "https") == "api.example"
    assert host_header("127.0.0.1", 8080, "http") == "127.0.0.1:8080"
