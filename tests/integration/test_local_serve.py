"""`python -m securebank serve` prints the API URL and key, serves until interrupted, and stops cleanly."""

import json
import signal
import subprocess
import sys
import urllib.request

import pytest

pytestmark = pytest.mark.slow


def test_serve_prints_url_and_key_answers_and_stops_on_interrupt():
    process = subprocess.Popen(
        [sys.executable, "-m", "securebank", "serve", "--api-key", "serve-test-key"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [process.stdout.readline() for _ in range(2)]
        assert lines[0].startswith("API ")
        url = lines[0].split()[1]
        assert url.startswith("http://127.0.0.1:")
        assert lines[1].split() == ["API", "key", "serve-test-key"]
        with urllib.request.urlopen(f"{url}/v1/health", timeout=10) as response:
            assert json.loads(response.read()) == {"status": "ok"}
        request = urllib.request.Request(f"{url}/v1/transactions/x", headers={"x-api-key": "wrong"})
        with pytest.raises(urllib.error.HTTPError) as forbidden:
            urllib.request.urlopen(request, timeout=10)
        assert forbidden.value.code == 403
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
