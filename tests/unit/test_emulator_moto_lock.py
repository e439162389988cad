import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from securebank.emulator.moto_server import ServiceLockMiddleware, service_of


def _environ(service):
    scope = f"AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host"
    return {"HTTP_AUTHORIZATION": scope}


def test_reads_the_service_from_the_sigv4_credential_scope():
    assert service_of(_environ("kinesis")) == "kinesis"
    assert service_of({}) == "other"


def test_requests_of_one_service_never_overlap_but_different_services_do():
    inside = Counter()
    peak = Counter()
    overlap_between_services = threading.Event()
    guard = threading.Lock()

    def app(environ, start_response):
        service = service_of(environ)
        with guard:
            inside[service] += 1
            peak[service] = max(peak[service], inside[service])
            if sum(inside.values()) > 1 and all(inside[s] for s in ("kinesis", "dynamodb")):
                overlap_between_services.set()
        time.sleep(0.002)
        with guard:
            inside[service] -= 1
        start_response("200 OK", [])
        return [b"ok"]

    middleware = ServiceLockMiddleware(app)
    calls = [_environ("kinesis" if n % 2 else "dynamodb") for n in range(60)]
    with ThreadPoolExecutor(12) as pool:
        bodies = list(pool.map(lambda env: middleware(env, lambda *a: None), calls))
    assert bodies == [[b"ok"]] * 60
    assert peak == {"kinesis": 1, "dynamodb": 1}
    assert overlap_between_services.is_set()
