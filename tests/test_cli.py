"""The taocore console script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

import taocore
from taocore.cli import main


def test_info_prints_runtime_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"version: {taocore.__version__}" in out
    assert "active_backend:" in out


def test_info_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == taocore.runtime_info()


def test_console_script_installed_and_reports_errors() -> None:
    exe = shutil.which("taocore", path=os.path.dirname(sys.executable)) or shutil.which("taocore")
    assert exe is not None, "the taocore console script is not installed"
    ok = subprocess.run([exe, "info"], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert "available_backends:" in ok.stdout
    env = dict(os.environ, TAOCORE_FORCE_BACKEND="bogus")
    bad = subprocess.run([exe, "info"], capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 2
    assert "taocore: error: TAOCORE_FORCE_BACKEND='bogus' is not a backend" in bad.stderr


def test_unknown_command_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2


def test_python_dash_m() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "taocore", "info"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "active_backend:" in proc.stdout


def test_selftest_passes() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "taocore.selftest"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "taocore selftest: ok" in proc.stdout


def test_epoch_command_runs_a_state_file(
    tmp_path: os.PathLike[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from taocore import consensus

    state = {
        "n": 3,
        "alpha_stake": [10**12, 0, 0],
        "validator_permit": [True, False, False],
        "weights": [[[1, 65535], [2, 32767]], [], []],
        "current_block": 10,
        "last_update": [5, 0, 0],
        "block_at_registration": [0, 0, 0],
        "rao_emission": 10**9,
        "yuma3": False,
    }
    path = os.path.join(tmp_path, "state.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(state, f)
    assert main(["epoch", path, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    expected = consensus.epoch(consensus.SubnetState.from_dict(state)).to_dict()
    assert printed == expected
    assert printed["incentive"][1] > printed["incentive"][2] > 0
    assert main(["epoch", path]) == 0
    assert "total emission: " in capsys.readouterr().out


def test_epoch_command_reports_bad_files(
    tmp_path: os.PathLike[str], capsys: pytest.CaptureFixture[str]
) -> None:
    bad = os.path.join(tmp_path, "bad.json")
    for content, message in (
        ("{", "not valid JSON"),
        ('{"n": 2, "alpha_stake": [1, 2], "weights": [[], []], "x": 1}', "unknown field"),
        ('{"n": 2, "alpha_stake": [1], "weights": [[], []]}', "alpha_stake"),
    ):
        with open(bad, "w", encoding="utf-8") as f:
            f.write(content)
        assert main(["epoch", bad]) == 2
        assert message in capsys.readouterr().err
    with open(bad, "wb") as fb:
        fb.write(b"\xff\xfe{}")  # not UTF-8: the error names the file as for bad JSON
    assert main(["epoch", bad]) == 2
    assert f"{bad} is not valid JSON" in capsys.readouterr().err
    assert main(["epoch", os.path.join(tmp_path, "missing.json")]) == 2
