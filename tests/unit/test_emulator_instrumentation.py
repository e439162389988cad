"""The emulator takes its instrumentation by name; the demo supplies faults, call counting and completions."""

import base64
import json
from dataclasses import asdict

import pytest

from securebank.demo.chaos import ChaosSettings
from securebank.demo.completions import read_completions
from securebank.demo.instrumentation import DemoInstrumentation, spec
from securebank.emulator.instrumentation import InstrumentationSpec, NoInstrumentation
from securebank.emulator.processes import ChildConfig


def _event(transaction_id):
    data = base64.b64encode(json.dumps({"transaction_id": transaction_id}).encode()).decode()
    return {"Records": [{"kinesis": {"sequenceNumber": "1", "data": data}}]}


def test_without_an_instrumentation_the_handler_runs_as_it_is():
    def handler(event, context):
        return {"batchItemFailures": []}

    assert NoInstrumentation().wrap(handler) is handler
    assert ChildConfig(resources={}, workdir="w").instrumentation_spec is None


def test_the_demo_spec_survives_the_child_config_and_builds_one_instrumentation_per_mapping_process(tmp_path):
    chaos = ChaosSettings(duplicate_delivery=0.5, seed=7)
    config = ChildConfig(resources={}, workdir=str(tmp_path), instrumentation=asdict(spec(chaos)))
    loaded = json.loads(json.dumps(asdict(config)))  # the child reads it from its environment
    instrumentation = ChildConfig(**loaded).instrumentation_spec.load(tmp_path, instance=3)
    assert isinstance(instrumentation, DemoInstrumentation)
    assert instrumentation.processor.chaos == ChaosSettings(duplicate_delivery=0.5, seed=10)  # its own draws
    instrumentation.wrap(lambda event, context: {"batchItemFailures": []})(_event("t-1"), None)
    assert set(read_completions(tmp_path / "esm-completions-3.jsonl")) == {"t-1"}
    assert instrumentation.snapshot()["handler_invocations"] == 1


@pytest.mark.parametrize("factory", ["securebank.demo.instrumentation", ":for_mapping", ""])
def test_a_factory_that_is_not_module_colon_function_is_refused_by_name(tmp_path, factory):
    with pytest.raises(ValueError, match="instrumentation factory"):
        InstrumentationSpec(factory).load(tmp_path, 0)
