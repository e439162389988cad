"""Every `python -m securebank` command answers `--help` (argparse formats help strings with %: a bare % breaks it)."""

from __future__ import annotations

import pytest

from securebank.__main__ import COMMANDS, main
from securebank.cli.bench import BENCHMARKS


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_prints_its_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert f"securebank {command}" in capsys.readouterr().out


@pytest.mark.parametrize("benchmark", sorted(BENCHMARKS))
def test_every_benchmark_prints_its_help(benchmark: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["bench", benchmark, "--help"])
    assert exit_.value.code == 0
    assert benchmark in capsys.readouterr().out
