"""SigV4 for the load generator: each POST to a deployed stack's execute-api endpoint signed with botocore.

API Gateway checks a request's `Authorization` (scope `<date>/<region>/execute-api/aws4_request`), `X-Amz-Date`
and, with temporary credentials, `X-Amz-Security-Token` against the canonical request: method, path, the `Host`
header and the body's SHA-256. The signer therefore signs exactly the host, path and bytes the connection sends.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

SERVICE = "execute-api"

Signer = Callable[[str, bytes], Mapping[str, str]]
"""(path, body) -> the headers to add to that POST (the Host header is the signer's own, see `host_header`)."""


def host_header(host: str, port: int, scheme: str) -> str:
    """The `Host` value sent and signed: the port only when it is not the scheme's default (as botocore signs it)."""
    default = {"http": 80, "https": 443}.get(scheme)
    return host if port == default else f"{host}:{port}"


def sigv4_signer(credentials: Any, region: str, scheme: str, host: str) -> Signer:
    """A signer for `credentials` (botocore `Credentials` or frozen credentials: access_key, secret_key, token)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    auth = SigV4Auth(credentials, SERVICE, region)
    base = f"{scheme}://{host}"

    def sign(path: str, body: bytes) -> Mapping[str, str]:
        request = AWSRequest(
            method="POST", url=base + path, data=body, headers={"Host": host, "Content-Type": "application/json"}
        )
        auth.add_auth(request)
        return {
            name: value
            for name, value in request.headers.items()
            if name.lower() in ("authorization", "x-amz-date", "x-amz-security-token")
        }

    return sign


def session_signer(region: str | None, scheme: str, host: str) -> tuple[Signer, str]:
    """The signer for the default boto3 session's credentials (environment, profile, SSO, instance role)."""
    import boto3

    session = boto3.Session(region_name=region)
    credentials = session.get_credentials()
    if credentials is None:
        raise SystemExit("--sigv4: no AWS credentials found (environment, profile or role)")
    resolved = region or session.region_name
    if not resolved:
        raise SystemExit("--sigv4: no region (pass --region or set AWS_REGION)")
    return sigv4_signer(credentials.get_frozen_credentials(), resolved, scheme, host), resolved
