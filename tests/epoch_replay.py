"""Replays subtensor's epoch test scenarios (tests/vectors/subtensor-epoch-cases.json) through
the public ``taocore.consensus`` API, following the file's ``meta.epoch_semantics`` exactly."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from taocore import consensus
from taocore._native import _core


@dataclass
class Scenario:
    n: int
    params: dict[str, Any]
    alpha_stake: list[int]
    block_at_registration: list[int]
    last_update: list[int]
    validator_permit: list[bool]
    weights: list[list[tuple[int, int]]]
    bonds: list[list[tuple[int, int]]]
    block: int = 0
    results: list[tuple[dict[str, Any], consensus.EpochResult]] = field(default_factory=list)

    @classmethod
    def from_case(cls, case: dict[str, Any]) -> Scenario:
        init = case["initial"]
        return cls(
            n=case["n"],
            params=dict(case["params"]),
            alpha_stake=list(init["alpha_stake"]),
            block_at_registration=list(init["block_at_registration"]),
            last_update=list(init["last_update"]),
            validator_permit=list(init["validator_permit"]),
            weights=[[(int(j), int(w)) for j, w in row] for row in init["weights"]],
            bonds=[[(int(j), int(w)) for j, w in row] for row in init["bonds"]],
        )

    def set_weights(self, uid: int, uids: list[int], values: list[int]) -> None:
        stored = _core.consensus.vec_u16_max_upscale_to_u16(values)
        self.weights[uid] = list(zip(uids, stored, strict=False))
        self.last_update[uid] = self.block

    def apply(self, action: dict[str, Any]) -> None:
        op = action["op"]
        if op == "set_block":
            self.block = action["block"]
        elif op == "set_weights":
            self.set_weights(action["uid"], action["uids"], action["values"])
        elif op == "set_weights_many":
            for uid in action["uids_from"]:
                self.set_weights(uid, action["targets"], [action["value"]] * len(action["targets"]))
        elif op == "set_weights_raw":
            self.weights[action["uid"]] = [
                (int(j), int(w)) for j, w in zip(action["uids"], action["values"], strict=False)
            ]
        elif op == "replace_neuron":
            uid = action["uid"]
            self.block_at_registration[uid] = self.block
            self.last_update[uid] = self.block
            self.weights[uid] = []
            self.bonds[uid] = []
            self.weights = [[(j, 0 if j == uid else w) for j, w in row] for row in self.weights]
            self.validator_permit[uid] = False
            self.alpha_stake[uid] = action["stake"]
        elif op == "reset_bonds_column":
            uid = action["uid"]
            self.bonds = [[(j, w) for j, w in row if j != uid] for row in self.bonds]
        elif op == "set_param":
            self.params[action["name"]] = action["value"]
        else:  # pragma: no cover - a new op in the vector file must be implemented here
            raise AssertionError(f"unknown op {op}")

    def state(self) -> consensus.SubnetState:
        p = self.params
        return consensus.SubnetState(
            n=self.n,
            current_block=self.block,
            tempo=p["tempo"],
            activity_cutoff_blocks=p["activity_cutoff_blocks"],
            last_update=self.last_update,
            block_at_registration=self.block_at_registration,
            alpha_stake=self.alpha_stake,
            tao_weight=p["tao_weight_u64"],
            stake_threshold=p["stake_threshold"],
            owner_uid=p["owner_uid"],
            validator_permit=self.validator_permit,
            max_allowed_validators=p["max_allowed_validators"],
            weights=self.weights,
            bonds=self.bonds,
            kappa=p["kappa"],
            bonds_penalty=p["bonds_penalty"],
            bonds_moving_average=p["bonds_moving_average"],
            yuma3=p["yuma3"],
            liquid_alpha=p["liquid_alpha"],
            alpha_low=p["alpha_low"],
            alpha_high=p["alpha_high"],
            alpha_sigmoid_steepness=p["alpha_sigmoid_steepness"],
            last_mechanism_step_block=p["last_mechanism_step_block"],
            rao_emission=p["rao_emission"],
        )

    def run_epoch(self, step: dict[str, Any]) -> consensus.EpochResult:
        result = consensus.epoch(self.state())
        self.validator_permit = [bool(x) for x in result.new_validator_permit]
        self.bonds = result.bonds_rows()
        self.results.append((step, result))
        return result


def outputs(result: consensus.EpochResult) -> dict[str, Any]:
    """The result under the vector file's key names."""
    return {
        "stake_weight_u16": result.stake_weight.tolist(),
        "consensus_u16": result.consensus.tolist(),
        "incentive_u16": result.incentive.tolist(),
        "dividends_u16": result.dividends.tolist(),
        "validator_trust_u16": result.validator_trust.tolist(),
        "emission": result.emission.tolist(),
        "server_emission": result.server_emission.tolist(),
        "validator_emission": result.validator_emission.tolist(),
        "new_validator_permit": [bool(x) for x in result.new_validator_permit],
        "active": [bool(x) for x in result.active],
        "bonds_u16": [[list(e) for e in row] for row in result.bonds_rows()],
    }


def check_expect(expect: dict[str, Any], got: dict[str, Any], where: str) -> int:
    """Assert every value the subtensor test asserted; returns how many were checked."""
    checked = 0
    tolerance = expect.get("tolerance", {})
    for key, want in expect.items():
        if key in ("tolerance", "bonds_prop_unasserted"):
            continue
        if key == "relations":
            for rel in want:
                if "all_equal" in rel:
                    vals = [got[rel["field"]][i] for i in rel["all_equal"]]
                    assert len(set(vals)) == 1, f"{where}: {rel['field']} {vals} not all equal"
                    assert all(got[rel["field"]][i] > 0 for i in rel["positive"]), f"{where}: {rel}"
                elif "sum_fields" in rel:
                    total = sum(sum(got[f]) for f in rel["sum_fields"])
                    assert abs(total - rel["equals"]) <= rel["abs_tolerance"], (
                        f"{where}: {rel}: {total}"
                    )
                else:  # pragma: no cover - a new relation kind must be implemented here
                    raise AssertionError(f"unknown relation {rel}")
                checked += 1
            continue
        if key == "bonds_u16":
            rows = got["bonds_u16"]
            for ij, value in want.items():
                i, j = (int(x) for x in ij.split(","))
                have = dict(rows[i]).get(j, 0)
                assert have == value, f"{where}: bonds[{i},{j}] = {have}, subtensor asserts {value}"
                checked += 1
            continue
        if key == "dividends_prop":
            have_prop = np.array(got["dividends_u16"], dtype=float) / 65535
            tol = tolerance.get(key, 0.0)
            assert np.all(np.abs(have_prop - np.array(want)) <= tol + 1e-12), (
                f"{where}: dividends {have_prop} vs {want} (±{tol})"
            )
            checked += len(want)
            continue
        have_vec = got[key]
        items = want.items() if isinstance(want, dict) else enumerate(want)
        tol = tolerance.get(key)
        for idx, value in items:
            have = have_vec[int(idx)]
            if tol is None:
                assert have == value, f"{where}: {key}[{idx}] = {have}, subtensor asserts {value}"
            else:
                assert abs(have - value) <= tol, (
                    f"{where}: {key}[{idx}] = {have} vs {value} ± {tol}"
                )
            checked += 1
    return checked
