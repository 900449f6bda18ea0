"""The local subnet end to end (``taocore demo``): better models earn more, the copier earns less
per stake under Yuma3, broken models are reported and earn nothing, every minted rao is
accounted for, and a run killed with SIGKILL at random moments resumes to exactly the result of
an uninterrupted run."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("onnxruntime")  # the demo extra is part of the test extra

from conftest import SIGINT_ENABLED
from taocore.cli import main
from taocore.subnet.demo import DemoConfig, run_demo
from taocore.subnet.ledger import Ledger


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("demo")
    config = DemoConfig(
        miners=8, validators=3, tempo=10, epochs=5, seed=7, copier=True, faulty=True
    )
    run = run_demo(out / "run", config, stream=io.StringIO())
    return {"out": out / "run", "report": run.report}


def test_better_models_earn_more(small_run: dict[str, Any]) -> None:
    report = small_run["report"]
    graded = [m for m in report["miners"] if m["model_accuracy"] and m["model_accuracy"] > 0]
    assert len(graded) == 8
    assert report["spearman_accuracy_vs_earned"] >= 0.9
    accuracies = sorted(m["model_accuracy"] for m in graded)
    assert accuracies[-1] - accuracies[0] >= 0.3  # the models really differ


def test_copier_earns_less_per_stake_under_yuma3(small_run: dict[str, Any]) -> None:
    comparison = small_run["report"]["copier"]
    assert small_run["report"]["yuma3"] is True
    assert comparison["honest_same_stake_dividends_per_1000_tao"]
    assert comparison["copier_earns_less"] is True


def test_broken_models_are_reported_and_earn_nothing(small_run: dict[str, Any]) -> None:
    miners = small_run["report"]["miners"]
    broken = [m for m in miners if m["model_accuracy"] == 0.0]
    assert {next(iter(m["failures"])) for m in broken} == {"load_error", "hash_mismatch"}
    assert all(m["earned_tao"] == 0 for m in broken)
    assert all(sum(m["failures"].values()) > 0 for m in broken)  # queried, scored zero


def test_every_minted_rao_is_accounted_for(small_run: dict[str, Any]) -> None:
    acct = small_run["report"]["accounting"]
    assert acct["balanced"] is True
    assert acct["minted"] >= 50 * 10**9
    with Ledger(small_run["out"] / "ledger.sqlite") as ledger:
        assert ledger.audit() == {k: v for k, v in acct.items() if k not in ("placed", "balanced")}
        assert ledger.block == 50
        assert len(ledger.epochs()) == 5


def test_report_files_and_leaderboard(
    small_run: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    out = small_run["out"]
    saved = json.loads((out / "report.json").read_text())
    assert (
        saved["spearman_accuracy_vs_earned"] == small_run["report"]["spearman_accuracy_vs_earned"]
    )
    for name in (
        "incentive_per_epoch.png",
        "earnings_vs_accuracy.png",
        "validator_dividends_per_stake.png",
    ):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Resuming a finished run changes nothing and prints the leaderboard again.
    assert main(["demo", "--resume", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Spearman(model accuracy, TAO earned)" in printed and "(copier)" in printed


def test_demo_refuses_to_overwrite_and_to_resume_nothing(
    tmp_path: Path, small_run: dict[str, Any]
) -> None:
    with pytest.raises(ValueError, match="already holds a run"):
        run_demo(small_run["out"], DemoConfig(), stream=io.StringIO())
    with pytest.raises(ValueError, match="nothing to resume"):
        run_demo(tmp_path / "empty", resume=True, stream=io.StringIO())
    with pytest.raises(ValueError, match="tempo"):
        DemoConfig(tempo=1)


def test_demo_config_checks_every_field_and_keeps_plain_values() -> None:
    # The config is written to the run's JSON: numpy values become plain ones, and a flag that
    # is not a bool (a string from a config file, say) is refused rather than read as truthy.
    config = DemoConfig(miners=np.int64(3), seed=np.uint32(7), request_timeout_s=np.float32(2))
    assert type(config.miners) is int and type(config.seed) is int
    assert type(config.request_timeout_s) is float
    json.dumps(dataclasses.asdict(config))
    for bad, name in (({"yuma3": "no"}, "yuma3"), ({"copier": 1}, "copier"),
                      ({"request_timeout_s": float("nan")}, "request_timeout_s"),
                      ({"request_timeout_s": "10"}, "request_timeout_s"),
                      ({"seed": -1}, "seed"), ({"epochs": 1.0}, "epochs")):
        with pytest.raises(ValueError, match=name):
            DemoConfig(**bad)


# ---- crash safety --------------------------------------------------------------------------------

DEMO_ARGS = [
    "--miners",
    "5",
    "--validators",
    "2",
    "--tempo",
    "5",
    "--epochs",
    "6",
    "--seed",
    "11",
    "--copier",
]


def _demo(out: Path, *extra: str) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "taocore", "demo", *extra]
    args += ["--resume", str(out)] if "--out" not in extra else []
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _block(ledger_path: Path) -> int:
    if not ledger_path.exists():
        return -1
    try:
        db = sqlite3.connect(f"file:{ledger_path}?mode=ro", uri=True, timeout=5)
        try:
            return int(db.execute("SELECT MAX(number) FROM blocks").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return -1


def _fingerprint(ledger_path: Path) -> dict[str, Any]:
    with Ledger(ledger_path) as ledger:
        ledger.audit()
        return {
            "block": ledger.block,
            "blocks": ledger._db.execute("SELECT * FROM blocks ORDER BY number").fetchall(),
            "payouts": ledger.payouts(),
            "epochs": ledger.epochs(),
            "neurons": ledger.neurons(),
            "weights": ledger.sparse_rows("weights"),
            "bonds": ledger.sparse_rows("bonds"),
            "totals": ledger.totals(),
            # Signatures are randomised (sr25519); everything else in the log must match.
            "extrinsics": [
                (x["block"], x["hotkey"], x["payload"], x["accepted"], x["reason"])
                for x in ledger.extrinsics()
            ],
        }


def _differences(got: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """What differs between two fingerprints, down to the neuron column, for the failure message."""
    out: list[str] = []
    for key, want in expected.items():
        have = got.get(key)
        if have == want:
            continue
        if key == "neurons" and len(have) == len(want):
            for h, w in zip(have, want, strict=True):
                out += [f"neuron {w['uid']} {c}: {h[c]!r} != {w[c]!r}" for c in w if h[c] != w[c]]
        else:
            out.append(f"{key} differs")
    return out


@pytest.mark.slow
def test_sigkill_at_random_moments_then_resume_gives_the_uninterrupted_result(
    tmp_path: Path,
) -> None:
    total_blocks = 30
    reference = tmp_path / "reference"
    proc = _demo(reference, "--out", str(reference), *DEMO_ARGS)
    assert proc.wait(timeout=600) == 0
    expected = _fingerprint(reference / "ledger.sqlite")
    assert expected["block"] == total_blocks

    crashed = tmp_path / "crashed"
    ledger_path = crashed / "ledger.sqlite"
    rng = random.Random(20261125)
    kills = 0
    proc = _demo(crashed, "--out", str(crashed), *DEMO_ARGS)
    deadline = time.monotonic() + 900
    while True:
        target = min(total_blocks - 1, max(1, _block(ledger_path)) + rng.randint(1, 6))
        while proc.poll() is None and _block(ledger_path) < target and time.monotonic() < deadline:
            time.sleep(0.002)
        if proc.poll() is None and kills < 4:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)
            kills += 1
            at = _block(ledger_path)
            assert at < total_blocks, "the run finished before it could be killed"
            proc = _demo(crashed)  # --resume
            continue
        assert proc.wait(timeout=600) == 0
        break
    assert kills == 4
    got = _fingerprint(ledger_path)
    assert not _differences(got, expected), _differences(got, expected)
    assert got == expected


def test_spearman_matches_scipy() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from scipy.stats import spearmanr

    from taocore.subnet.report import spearman

    @settings(max_examples=200, deadline=None)
    @given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=2, max_size=30))
    def check(pairs: list[tuple[int, int]]) -> None:
        x = [float(a) for a, _ in pairs]
        y = [float(b) for _, b in pairs]
        ours = spearman(x, y)
        if len(set(x)) < 2 or len(set(y)) < 2:
            assert ours == 0.0
        else:
            assert ours == pytest.approx(float(spearmanr(x, y).statistic), abs=1e-12)

    check()


def test_ctrl_c_keeps_the_run_resumable(tmp_path: Path) -> None:
    out = tmp_path / "interrupted"
    proc = subprocess.Popen(
        [sys.executable, "-m", "taocore", "demo", "--out", str(out), *DEMO_ARGS],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **SIGINT_ENABLED,
    )
    deadline = time.monotonic() + 300
    while _block(out / "ledger.sqlite") < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    if proc.returncode == 0:  # pragma: no cover - finished before the signal arrived
        return
    assert proc.returncode == 130
    assert f"taocore demo --resume {out}" in err.decode()
    assert main(["demo", "--resume", str(out)]) == 0
    with Ledger(out / "ledger.sqlite") as ledger:
        assert ledger.block == 30
        ledger.audit()
