import pytest

from securebank.demo.loadgen import ensure_loopback, percentile


@pytest.mark.parametrize("url", ["http://example.com", "http://10.0.0.1:8080", "http://0.0.0.0:1"])
def test_load_is_only_ever_sent_to_the_loopback_interface(url):
    with pytest.raises(ValueError, match="loopback"):
        ensure_loopback(url)


def test_loopback_urls_are_allowed():
    ensure_loopback("http://127.0.0.1:8080")
    ensure_loopback("http://localhost:1")


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile([], 99) == 0.0
    assert percentile([7.0], 1) == 7.0
