"""`python -m securebank serve` prints the API URL and key, serves until interrupted, and stops cleanly; the commands
it prints submit a transaction, list the review queue and label a transaction."""

import json
import shlex
import signal
import subprocess
import sys
import time
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


def _request(command: str) -> urllib.request.Request:
    """A printed `curl -s -H ... [-d BODY] URL` command as a request."""
    words = shlex.split(command)
    headers = dict(words[i + 1].split(": ", 1) for i, word in enumerate(words) if word == "-H")
    body = words[words.index("-d") + 1].encode() if "-d" in words else None
    url = next(word for word in words if word.startswith("http"))
    return urllib.request.Request(url, data=body, headers=headers, method="POST" if body else "GET")


def test_the_commands_serve_prints_reach_the_review_queue_and_label_a_submitted_transaction():
    process = subprocess.Popen(
        [sys.executable, "-m", "securebank", "serve", "--api-key", "serve-test-key"], stdout=subprocess.PIPE, text=True
    )
    try:
        lines = []
        while not lines or not lines[-1].startswith("Ctrl-C"):
            lines.append(process.stdout.readline())
        commands = [line.split(maxsplit=1)[1] if not line.startswith(" ") else line.strip() for line in lines]
        curls = [command for command in commands if command.startswith("curl")]
        submit, reviews, label = curls[1], curls[2], curls[3]
        assert "/v1/transactions -d" in submit and "/v1/reviews?" in reviews and "/label -d" in label
        assert "IAM" in next(line for line in lines if "review queue" in line)
        with urllib.request.urlopen(_request(submit), timeout=10) as response:
            assert response.status == 201
        deadline = time.monotonic() + 30
        while True:  # the label needs the stored transaction: 404 until the processor has stored it
            try:
                with urllib.request.urlopen(_request(label), timeout=10) as response:
                    assert response.status == 202
                    break
            except urllib.error.HTTPError as error:
                assert error.code == 404 and time.monotonic() < deadline
                time.sleep(0.5)
        with urllib.request.urlopen(_request(reviews), timeout=10) as response:
            assert json.loads(response.read()) == {"cases": [], "next_cursor": None}  # labelled: not an open case
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
