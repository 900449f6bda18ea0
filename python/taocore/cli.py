"""The ``taocore`` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence


def _cmd_info(args: argparse.Namespace) -> int:
    from taocore.runtime import format_runtime, runtime_info

    info = runtime_info()
    print(json.dumps(info, indent=2) if args.json else format_runtime(info))
    return 0


def _cmd_epoch(args: argparse.Namespace) -> int:
    from taocore import consensus

    try:
        with open(args.state, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as exc:
        raise ValueError(f"cannot read {args.state}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{args.state} is not valid JSON: {exc}") from None
    result = consensus.epoch(consensus.SubnetState.from_dict(data))
    if args.json:
        print(json.dumps(result.to_dict()))
        return 0
    header = (
        "uid",
        "active",
        "permit",
        "stake_wt",
        "consensus",
        "incentive",
        "dividends",
        "v_trust",
        "emission_rao",
    )
    print(" ".join(f"{h:>12}" for h in header))
    for uid in range(len(result.emission)):
        row = (
            uid,
            "yes" if result.active[uid] else "no",
            "yes" if result.new_validator_permit[uid] else "no",
            *(
                f"{int(getattr(result, k)[uid]) / 65535:.6f}"
                for k in ("stake_weight", "consensus", "incentive", "dividends", "validator_trust")
            ),
            int(result.emission[uid]),
        )
        print(" ".join(f"{v:>12}" for v in row))
    print(
        f"total emission: {int(result.emission.sum())} rao "
        f"(miners {int(result.server_emission.sum())}, validators "
        f"{int(result.validator_emission.sum())})"
    )
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    try:
        from taocore.subnet.demo import DemoConfig, run_demo
        from taocore.subnet.report import format_leaderboard
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ValueError(
            f"the demo needs the demo extra (pip install 'taocore[demo]'): {exc}"
        ) from None
    if args.resume is not None:
        run = run_demo(args.resume, resume=True)
    else:
        config = DemoConfig(
            miners=args.miners,
            validators=args.validators,
            tempo=args.tempo,
            epochs=args.epochs,
            seed=args.seed,
            copier=args.copier,
            faulty=args.faulty,
            yuma3=not args.yuma2,
        )
        if args.out is None:  # a fresh directory each time unless one is named
            args.out, k = "taocore-demo", 1
            while os.path.exists(os.path.join(args.out, "ledger.sqlite")):
                k += 1
                args.out = f"taocore-demo-{k}"
        run = run_demo(args.out, config)
    print(format_leaderboard(run.report))
    if run.report["block"] >= run.config.blocks:
        print(
            f"\nreport: {run.out / 'report.json'}; plots: {run.out}/*.png; "
            f"ledger: {run.ledger_path}"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``taocore`` command."""
    parser = argparse.ArgumentParser(
        prog="taocore",
        description="Bittensor's signing, Yuma consensus and emission maths on a native core.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    info = sub.add_parser("info", help="print the runtime report (version, CPU, SIMD backend)")
    info.add_argument("--json", action="store_true", help="print the report as JSON")
    info.set_defaults(func=_cmd_info)
    ep = sub.add_parser("epoch", help="run one chain-exact Yuma epoch on a subnet state file")
    ep.add_argument("state", help="JSON file with the taocore.consensus.SubnetState fields")
    ep.add_argument("--json", action="store_true", help="print the full result as JSON")
    ep.set_defaults(func=_cmd_epoch)
    demo = sub.add_parser(
        "demo", help="run a whole local subnet: ONNX miners, validators, chain-exact epochs"
    )
    demo.add_argument("--miners", type=int, default=16, help="number of miners (default 16)")
    demo.add_argument(
        "--validators", type=int, default=4, help="number of honest validators (default 4)"
    )
    demo.add_argument("--tempo", type=int, default=20, help="blocks per epoch (default 20)")
    demo.add_argument("--epochs", type=int, default=6, help="epochs to run (default 6)")
    demo.add_argument("--seed", type=int, default=0, help="seed of every random choice")
    demo.add_argument(
        "--out", default="taocore-demo", help="run directory (default ./taocore-demo)"
    )
    demo.add_argument(
        "--copier",
        action="store_true",
        help="add a validator that copies the previous epoch's consensus",
    )
    demo.add_argument(
        "--faulty",
        action="store_true",
        help="add a miner with a corrupt model and one whose model fails its hash",
    )
    demo.add_argument("--yuma2", action="store_true", help="legacy Yuma bonds instead of Yuma3")
    demo.add_argument("--resume", metavar="DIR", help="continue the stopped run in DIR")
    demo.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``taocore`` command line; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.func(args)
    except (RuntimeError, ValueError) as exc:
        print(f"taocore: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # Every committed block is kept; a demo continues with --resume.
        hint = ""
        if args.command == "demo":
            where = args.resume or args.out or "the run directory"
            hint = f"; continue with: taocore demo --resume {where}"
        print(f"\ntaocore: interrupted{hint}", file=sys.stderr)
        return 130
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
