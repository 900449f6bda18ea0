"""What the demo shows at the end, all read back from the ledger: a leaderboard, ``report.json``
and PNG plots (incentive per miner per epoch, earnings against model accuracy, validator
dividends per unit of stake)."""

from __future__ import annotations

import json
import os
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from taocore._checks import U16_MAX
from taocore.subnet.ledger import Ledger

__all__ = ["build_report", "format_leaderboard", "spearman", "write_plots", "write_report"]

RAO_PER_TAO = 1_000_000_000


def _average_ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1  # ties share their average rank
        i = j + 1
    return ranks


def spearman(x: list[float], y: list[float]) -> float:
    """Spearman rank correlation (Pearson correlation of average ranks, ties averaged); 0.0
    when either side is constant or has fewer than two values."""
    if len(x) != len(y):
        raise ValueError("x and y must have the same length")
    if len(x) < 2 or len(set(x)) < 2 or len(set(y)) < 2:
        return 0.0
    rx, ry = _average_ranks(list(x)), _average_ranks(list(y))
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx = sum((a - mx) ** 2 for a in rx)
    vy = sum((b - my) ** 2 for b in ry)
    return float(cov / (vx * vy) ** 0.5)


def build_report(ledger: Ledger, out: Path | None = None) -> dict[str, Any]:
    """Summarise a run from its ledger: per-neuron totals, per-epoch series, the copier
    comparison, refused extrinsics, miner failures and the emission accounting."""
    del out
    meta = ledger.user_meta
    registry = meta.get("models", [])
    neurons = ledger.neurons()
    epochs = ledger.epochs()
    earned: dict[int, int] = defaultdict(int)
    by_kind: dict[tuple[int, str], int] = defaultdict(int)
    for p in ledger.payouts():
        if p["uid"] >= 0:
            earned[p["uid"]] += p["amount_rao"]
            by_kind[(p["uid"], p["kind"])] += p["amount_rao"]
    last = epochs[-1]["result"] if epochs else {}
    failures = json.loads(ledger.offchain("failures") or "{}")
    miners: list[dict[str, Any]] = []
    validators: list[dict[str, Any]] = []
    miner_index = 0
    for nrn in neurons:
        uid = nrn["uid"]

        def last_value(key: str, uid: int = uid) -> float:
            values = last.get(key, [])
            return values[uid] / U16_MAX if uid < len(values) else 0.0

        row: dict[str, Any] = {
            "uid": uid,
            "hotkey": nrn["hotkey"],
            "earned_tao": earned[uid] / RAO_PER_TAO,
            "stake_tao": nrn["stake_rao"] / RAO_PER_TAO,
        }
        if nrn["role"] == "miner":
            entry = registry[miner_index] if miner_index < len(registry) else {}
            miner_index += 1
            row.update(
                model_accuracy=entry.get("accuracy"),
                model=entry.get("description", ""),
                incentive=last_value("incentive"),
                failures=failures.get(str(uid), {}),
            )
            miners.append(row)
        else:
            initial = nrn["initial_stake_rao"]
            dividends = by_kind[(uid, "take")] + by_kind[(uid, "nominator")]
            row.update(
                initial_stake_tao=initial / RAO_PER_TAO,
                validator_trust=last_value("validator_trust"),
                dividends=last_value("dividends"),
                dividends_tao=dividends / RAO_PER_TAO,
                dividends_per_1000_tao=(dividends / initial * 1000) if initial else 0.0,
            )
            validators.append(row)
    config = meta.get("config", {})
    honest_count = int(config.get("validators", len(validators)))
    for k, v in enumerate(validators):
        v["copier"] = k >= honest_count
    copier = next((v for v in validators if v["copier"]), None)
    comparison = None
    if copier is not None:
        peers = [
            v
            for v in validators
            if not v["copier"] and v["initial_stake_tao"] == copier["initial_stake_tao"]
        ]
        comparison = {
            "copier_dividends_per_1000_tao": copier["dividends_per_1000_tao"],
            "honest_same_stake_dividends_per_1000_tao": [
                p["dividends_per_1000_tao"] for p in peers
            ],
            "copier_earns_less": bool(peers)
            and all(copier["dividends_per_1000_tao"] < p["dividends_per_1000_tao"] for p in peers),
        }
    scored = [m for m in miners if m["model_accuracy"] is not None]
    totals = ledger.totals()
    placed = sum(v for k, v in totals.items() if k != "minted")
    extrinsics = ledger.extrinsics()
    return {
        "block": ledger.block,
        "config": config,
        "yuma3": ledger.hyperparameters.yuma3,
        "epochs": [
            {
                "epoch": e["epoch"],
                "block": e["block"],
                "emission_tao": e["emission_rao"] / RAO_PER_TAO,
                "incentive": [v / U16_MAX for v in e["result"]["incentive"]],
                "dividends": [v / U16_MAX for v in e["result"]["dividends"]],
                "consensus": [v / U16_MAX for v in e["result"]["consensus"]],
            }
            for e in epochs
        ],
        "miners": miners,
        "validators": validators,
        "copier": comparison,
        "spearman_accuracy_vs_earned": spearman(
            [float(m["model_accuracy"]) for m in scored], [m["earned_tao"] for m in scored]
        ),
        "accounting": {**totals, "placed": placed, "balanced": placed == totals["minted"]},
        "extrinsics": {
            "accepted": sum(1 for x in extrinsics if x["accepted"]),
            "rejected": [
                {"block": x["block"], "hotkey": x["hotkey"], "reason": x["reason"]}
                for x in extrinsics
                if not x["accepted"]
            ],
        },
    }


def format_leaderboard(report: dict[str, Any]) -> str:
    """Plain-text tables of miners (by earnings) and validators, and the run's checks."""
    lines = [
        "Miners",
        f"{'uid':>4}  {'hotkey':<48}  {'accuracy':>8}  {'incentive':>9}  {'TAO earned':>11}  notes",
    ]
    for m in sorted(report["miners"], key=lambda r: (-r["earned_tao"], r["uid"])):
        acc = "-" if m["model_accuracy"] is None else f"{m['model_accuracy']:.3f}"
        notes = ", ".join(f"{k} x{v}" for k, v in sorted(m["failures"].items()))
        lines.append(
            f"{m['uid']:>4}  {m['hotkey']:<48}  {acc:>8}  {m['incentive']:>9.4f}  "
            f"{m['earned_tao']:>11.4f}  {notes}"
        )
    lines += [
        "",
        "Validators",
        f"{'uid':>4}  {'hotkey':<48}  {'stake':>10}  {'v-trust':>8}  {'dividends':>9}  "
        f"{'TAO earned':>11}  {'per 1000 TAO':>12}",
    ]
    for v in report["validators"]:
        tag = "  (copier)" if v["copier"] else ""
        lines.append(
            f"{v['uid']:>4}  {v['hotkey']:<48}  {v['initial_stake_tao']:>10.0f}  "
            f"{v['validator_trust']:>8.4f}  {v['dividends']:>9.4f}  "
            f"{v['earned_tao']:>11.4f}  {v['dividends_per_1000_tao']:>12.6f}{tag}"
        )
    acct = report["accounting"]
    lines += [
        "",
        f"Spearman(model accuracy, TAO earned) = {report['spearman_accuracy_vs_earned']:.3f}",
    ]
    if report["copier"] is not None:
        c = report["copier"]
        peers = ", ".join(f"{p:.6f}" for p in c["honest_same_stake_dividends_per_1000_tao"])
        lines.append(
            f"Copier dividends per 1000 TAO staked: {c['copier_dividends_per_1000_tao']:.6f}"
            f" vs honest validators of equal stake: {peers or 'none'}"
            f" ({'less' if c['copier_earns_less'] else 'NOT less'}; "
            f"{'Yuma3' if report['yuma3'] else 'Yuma'})"
        )
    lines += [
        f"Minted {acct['minted'] / RAO_PER_TAO:.9f} TAO; every rao placed: "
        f"{'yes' if acct['balanced'] else 'NO'} (stake {acct['stake_credited']}, owner cut "
        f"{acct['owner_cut']}, pending {acct['pending']}, burned {acct['burned']}, recycled "
        f"{acct['recycled']}, uncredited {acct['uncredited']} rao)",
        f"Extrinsics: {report['extrinsics']['accepted']} accepted, "
        f"{len(report['extrinsics']['rejected'])} rejected",
    ]
    return "\n".join(lines)


def write_report(report: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write ``report.json`` (atomically) and the plots; returns the written paths."""
    out_dir = Path(out_dir)
    path = out_dir / "report.json"
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".report.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2)
    os.replace(tmp, path)
    return [path, *write_plots(report, out_dir)]


def write_plots(report: dict[str, Any], out_dir: Path) -> list[Path]:
    """PNG plots: incentive per miner per epoch, earnings vs accuracy, dividends per stake."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    miners = report["miners"]
    epochs = report["epochs"]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for m in miners:
        series = [
            e["incentive"][m["uid"]] if m["uid"] < len(e["incentive"]) else 0.0 for e in epochs
        ]
        acc = m["model_accuracy"]
        ax.plot(
            [e["epoch"] for e in epochs],
            series,
            marker="o",
            label=f"uid {m['uid']} (acc {acc:.2f})" if acc is not None else f"uid {m['uid']}",
        )
    ax.set(xlabel="epoch", ylabel="incentive", title="Incentive per miner per epoch")
    ax.legend(fontsize=6, ncol=2)
    paths.append(out_dir / "incentive_per_epoch.png")
    fig.tight_layout()
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4.5))
    xs = [m["model_accuracy"] or 0.0 for m in miners]
    ys = [m["earned_tao"] for m in miners]
    ax.scatter(xs, ys)
    for m, x, y in zip(miners, xs, ys, strict=True):
        ax.annotate(str(m["uid"]), (x, y), fontsize=7)
    ax.set(
        xlabel="model accuracy (held-out digits)",
        ylabel="TAO earned",
        title=f"Earnings vs accuracy (Spearman {report['spearman_accuracy_vs_earned']:.2f})",
    )
    paths.append(out_dir / "earnings_vs_accuracy.png")
    fig.tight_layout()
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4.5))
    vals = report["validators"]
    ax.bar(
        [f"uid {v['uid']}" + (" (copier)" if v["copier"] else "") for v in vals],
        [v["dividends_per_1000_tao"] for v in vals],
        color=["tab:red" if v["copier"] else "tab:blue" for v in vals],
    )
    ax.set(
        ylabel="dividends (TAO) per 1000 TAO staked", title="Validator dividends per unit of stake"
    )
    ax.tick_params(axis="x", labelsize=7)
    paths.append(out_dir / "validator_dividends_per_stake.png")
    fig.tight_layout()
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    return paths
