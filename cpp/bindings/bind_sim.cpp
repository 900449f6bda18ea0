// SPDX-License-Identifier: MIT
// taocore._core.sim: the float Yuma simulator. numpy arrays in (C-contiguous float32 or float64,
// shapes checked by taocore.sim), numpy arrays out, the whole run with the GIL released.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <exception>
#include <string>
#include <vector>

#include "taocore/consensus/sim.hpp"
#include "taocore/simd/backend.hpp"

namespace py = pybind11;
namespace sim = taocore::consensus::sim;

namespace {

sim::Params params_of(const py::dict& d) {
    sim::Params p;
    for (const auto& [key_obj, value] : d) {
        const std::string key = py::str(key_obj);
        auto number = [&] { return value.cast<double>(); };
        auto index = [&]() -> std::optional<std::size_t> {
            if (value.is_none()) return std::nullopt;
            return value.cast<std::size_t>();
        };
        if (key == "kappa") p.kappa = number();
        else if (key == "bond_penalty") p.bond_penalty = number();
        else if (key == "bond_moving_avg") p.bond_moving_avg = number();
        else if (key == "liquid_alpha") p.liquid_alpha = value.cast<bool>();
        else if (key == "alpha_high") p.alpha_high = number();
        else if (key == "alpha_low") p.alpha_low = number();
        else if (key == "alpha_sigmoid_steepness") p.alpha_sigmoid_steepness = number();
        else if (key == "decay_rate") p.decay_rate = number();
        else if (key == "capacity_alpha") p.capacity_alpha = number();
        else if (key == "winner_takes_all") p.winner_takes_all = value.cast<bool>();
        else if (key == "liquid_alpha_consensus_mode")
            p.liquid_alpha_consensus_mode = sim::parse_consensus_mode(value.cast<std::string>());
        else if (key == "reset_bonds_index") p.reset_bonds_index = index();
        else if (key == "reset_bonds_epoch") p.reset_bonds_epoch = index();
        else throw py::value_error(key + ": unknown parameter");
    }
    return p;
}

/// A C-contiguous array of `shape` on sim::take_result_memory's blocks, which go back to it when
/// numpy frees the array (and every view of it).
template <class T>
py::array_t<T> result_array(std::initializer_list<py::ssize_t> shape) {
    std::size_t count = 1;
    for (const py::ssize_t d : shape) count *= static_cast<std::size_t>(d);
    struct Block {
        void* p;
        std::size_t capacity;
    };
    auto held = std::make_unique<Block>(Block{nullptr, 0});
    Block* const block = held.get();
    const py::capsule owner(block, [](void* b) {
        const std::unique_ptr<Block> blk(static_cast<Block*>(b));
        sim::give_result_memory(blk->p, blk->capacity);
    });
    held.release();  // the capsule owns it now
    block->p = sim::take_result_memory(count * sizeof(T), block->capacity);
    return py::array_t<T>(std::vector<py::ssize_t>(shape), static_cast<T*>(block->p), owner);
}

/// One scenario: the input arrays (kept alive), the views the core reads and the numpy outputs
/// it writes.
template <class T>
struct Job {
    py::array_t<T> weights, stakes;
    sim::Input<T> in;
    py::array_t<T> prerank, consensus, rank, incentive, dividends, bonds;
    sim::Output<T> out;

    Job(const py::array& w, const py::array& s, std::size_t epochs, bool keep_bonds) {
        weights = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(w);
        stakes = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(s);
        if (!weights || weights.ndim() != 3) throw py::value_error("weights: expected a 3-D array");
        if (!stakes || stakes.ndim() != 2) throw py::value_error("stakes: expected a 2-D array");
        in.weights = weights.data();
        in.weight_epochs = static_cast<std::size_t>(weights.shape(0));
        in.validators = static_cast<std::size_t>(weights.shape(1));
        in.servers = static_cast<std::size_t>(weights.shape(2));
        in.stakes = stakes.data();
        in.stake_epochs = static_cast<std::size_t>(stakes.shape(0));
        in.epochs = epochs;
        if (static_cast<std::size_t>(stakes.shape(1)) != in.validators)
            throw py::value_error("stakes: has " + std::to_string(stakes.shape(1)) + " validators, weights have " +
                                  std::to_string(in.validators));
        const auto E = static_cast<py::ssize_t>(epochs), V = static_cast<py::ssize_t>(in.validators),
                   M = static_cast<py::ssize_t>(in.servers);
        prerank = result_array<T>({E, M});
        consensus = result_array<T>({E, M});
        rank = result_array<T>({E, M});
        incentive = result_array<T>({E, M});
        dividends = result_array<T>({E, V});
        bonds = result_array<T>({keep_bonds ? E : py::ssize_t{1}, V, M});
        out = {prerank.mutable_data(), consensus.mutable_data(), rank.mutable_data(),
               incentive.mutable_data(), dividends.mutable_data(), bonds.mutable_data(), keep_bonds};
    }

    py::dict result() const {
        py::dict d;
        d["prerank"] = prerank;
        d["consensus"] = consensus;
        d["rank"] = rank;
        d["incentive"] = incentive;
        d["dividends"] = dividends;
        d["bonds"] = bonds;
        return d;
    }
};

template <class T>
py::list run_jobs(const py::list& scenarios, sim::Version version, const sim::Params& params, unsigned threads,
                  bool keep_bonds, std::optional<taocore::simd::backend> backend, const py::object& progress) {
    std::vector<Job<T>> jobs;
    jobs.reserve(scenarios.size());
    for (const auto& item : scenarios) {
        const auto t = item.cast<py::tuple>();
        if (t.size() != 3) throw py::value_error("scenarios: each item must be (weights, stakes, epochs)");
        jobs.emplace_back(t[0].cast<py::array>(), t[1].cast<py::array>(), t[2].cast<std::size_t>(), keep_bonds);
    }
    std::vector<sim::Scenario<T>> batch;
    batch.reserve(jobs.size());
    for (const auto& j : jobs) batch.push_back({j.in, j.out});
    // The watch is called on this (usually the main) thread, where Python handles signals:
    // Ctrl-C stops the run after the epoch it is in instead of after its last epoch.
    std::optional<py::error_already_set> failure;
    const sim::Watch watch{[&](std::size_t done, std::size_t total) {
        const py::gil_scoped_acquire gil;
        try {
            if (PyErr_CheckSignals() != 0) throw py::error_already_set();
            if (!progress.is_none()) progress(done, total);
            return true;
        } catch (py::error_already_set& e) {
            failure.emplace(std::move(e));
            return false;
        }
    }};
    try {
        const py::gil_scoped_release release;
        sim::simulate_batch<T>(batch, params, version, threads, backend, &watch);
    } catch (const sim::Stopped&) {
        if (failure) throw std::move(*failure);
        throw;
    }
    if (failure) throw std::move(*failure);  // raised by the final report
    py::list out;
    for (const auto& j : jobs) out.append(j.result());
    return out;
}

py::list simulate_many(const py::list& scenarios, const std::string& version, const py::dict& params,
                       const std::string& dtype, unsigned threads, bool keep_bonds,
                       const std::optional<std::string>& backend, const py::object& progress) {
    const sim::Version v = sim::parse_version(version);
    const sim::Params p = params_of(params);
    std::optional<taocore::simd::backend> b;
    if (backend) {
        try {
            b = taocore::simd::parse_backend(*backend);
        } catch (const std::invalid_argument& e) {
            throw py::value_error(e.what());
        }
        if (!taocore::simd::backend_supported(*b))
            throw py::value_error("backend '" + *backend + "' is not supported on this machine");
    }
    if (dtype == "float32") return run_jobs<float>(scenarios, v, p, threads, keep_bonds, b, progress);
    if (dtype == "float64") return run_jobs<double>(scenarios, v, p, threads, keep_bonds, b, progress);
    throw py::value_error("dtype: must be float32 or float64");
}

}  // namespace

void bind_sim(py::module_& m) {
    m.def("retained_result_bytes", &sim::retained_result_bytes,
          "Bytes of dropped result arrays kept for the next run's results (see take_result_memory).");
    m.def("simulate_many", &simulate_many, py::arg("scenarios"), py::arg("version"), py::arg("params"),
          py::arg("dtype"), py::arg("threads"), py::arg("keep_bonds") = true, py::arg("backend") = py::none(),
          py::arg("progress") = py::none(),
          "Run (weights[E',V,M], stakes[E'',V], epochs) scenarios (E' and E'' are 1 or epochs); "
          "one dict of numpy arrays per scenario. GIL released; threads split one scenario's "
          "consensus or run several scenarios side by side. keep_bonds=False returns only the "
          "final bond state (bonds[1,V,M]); backend ('scalar', 'avx2', ...) overrides the "
          "runtime dispatch, for tests. progress(done, total) is called with the epochs finished "
          "about every 0.1 s and once at the end; an exception it raises (or Ctrl-C) stops the run "
          "after its current epoch and propagates.");
}
