from securebank.emulator.stack import merge_stats


def test_stats_of_the_mapping_processes_are_summed_and_idle_only_when_all_are():
    first = {"calls": {"s3.PutObject": 2}, "mapping": {"invocations": 3}, "handler_seconds": 1.5, "idle": True}
    second = {
        "calls": {"s3.PutObject": 1, "dynamodb.BatchGetItem": 4},
        "mapping": {"invocations": 2},
        "handler_seconds": 0.5,
        "idle": False,
    }
    merged = merge_stats([first, second])
    assert merged["calls"] == {"s3.PutObject": 3, "dynamodb.BatchGetItem": 4}
    assert merged["mapping"] == {"invocations": 5}
    assert merged["handler_seconds"] == 2.0
    assert merged["idle"] is False
    assert merge_stats([first])["idle"] is True


def test_settings_are_configuration_and_are_not_summed():
    settings = {"batch_size": 100, "maximum_batching_window_seconds": 1}
    merged = merge_stats([{"idle": True, "settings": settings}, {"idle": True, "settings": dict(settings)}])
    assert merged["settings"] == settings
