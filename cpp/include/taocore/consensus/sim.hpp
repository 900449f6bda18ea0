// SPDX-License-Identifier: MIT
// The float Yuma simulator: yuma-simulation's six Yuma versions (spec ecosystem.md §1.4-§1.5),
// many epochs in one call, float32 or float64. Not the chain's fixed-point epoch (that is
// consensus/epoch.hpp): this reproduces the float model researchers use to compare Yuma variants.
//
// Layout: every matrix is dense and row-major. Weights are validators x servers per epoch, stakes
// one value per validator per epoch. Either input may hold a single epoch that is reused for all
// epochs. The caller owns every output buffer (the bindings hand in numpy memory), so a run
// allocates only its scratch space.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "taocore/simd/backend.hpp"

namespace taocore::consensus::sim {

/// yuma-simulation's versions ("Yuma 1" ... "Yuma 3 ... liquid alpha on").
enum class Version { yuma1, yuma2, yuma2b, yuma2c, yuma3, yuma3_liquid };

/// Which consensus liquid alpha compares weights with: this epoch's, the previous epoch's, or
/// their elementwise maximum (yuma-simulation's CURRENT / PREVIOUS / MIXED).
enum class ConsensusMode { current, previous, mixed };

/// Parses "yuma1" ... "yuma3_liquid"; throws std::invalid_argument naming the valid ones.
Version parse_version(std::string_view name);
/// Parses "current" / "previous" / "mixed" (any case); throws std::invalid_argument.
ConsensusMode parse_consensus_mode(std::string_view name);

/// The parameters, named and defaulted as yuma-simulation names them (YumaParams and
/// SimulationHyperparameters), except bond_penalty: yuma-simulation has no usable default (None),
/// so it defaults to the chain's 1.0 here.
struct Params {
    double kappa = 0.5;
    double bond_penalty = 1.0;
    double bond_moving_avg = 0.1;
    bool liquid_alpha = false;
    double alpha_high = 0.3;
    double alpha_low = 0.1;
    double alpha_sigmoid_steepness = 10.0;
    double decay_rate = 0.1;
    double capacity_alpha = 0.1;
    bool winner_takes_all = false;
    ConsensusMode liquid_alpha_consensus_mode = ConsensusMode::current;
    /// Bond reset (Yuma 2C, 3, 3-liquid): before epoch reset_bonds_epoch, the bond column of
    /// server reset_bonds_index is zeroed. Both set or both empty.
    std::optional<std::size_t> reset_bonds_index;
    std::optional<std::size_t> reset_bonds_epoch;
};

/// Read-only inputs. weights holds weight_epochs (1 or epochs) matrices of validators x servers;
/// stakes holds stake_epochs (1 or epochs) vectors of validators.
template <class T>
struct Input {
    const T* weights = nullptr;
    std::size_t weight_epochs = 0;
    const T* stakes = nullptr;
    std::size_t stake_epochs = 0;
    std::size_t epochs = 0;
    std::size_t validators = 0;
    std::size_t servers = 0;
};

/// Caller-owned outputs, epoch-major: prerank/consensus/rank/incentive are epochs x servers,
/// dividends epochs x validators, bonds epochs x validators x servers (the state after each epoch)
/// or, with every_epoch_bonds false, validators x servers: only the state after the last epoch
/// (the run then updates that one matrix in place every epoch, saving the caller epochs - 1
/// matrices of memory to allocate and fill).
template <class T>
struct Output {
    T* prerank = nullptr;
    T* consensus = nullptr;
    T* rank = nullptr;
    T* incentive = nullptr;
    T* dividends = nullptr;
    T* bonds = nullptr;
    bool every_epoch_bonds = true;
};

/// Raised for bad input; the message starts with the name of the offending argument.
class InvalidInput : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

/// Thrown by simulate() and simulate_batch() for a run stopped through its RunControl (a Watch
/// whose report returned false). The outputs then hold the epochs finished before the stop.
class Stopped : public std::runtime_error {
public:
    Stopped() : std::runtime_error("simulation stopped before its last epoch") {}
};

/// How the caller of a run follows it: report(done, total) with the epochs finished so far out of
/// all of the run's epochs, called on the calling thread about every `interval` and once more
/// with done == total at the end. Returning false stops the run before its next epoch (simulate
/// and simulate_batch then throw Stopped); an exception it throws stops it too, and propagates.
struct Watch {
    std::function<bool(std::size_t done, std::size_t total)> report;
    std::chrono::milliseconds interval{100};
};

/// What a run shares between its threads: the count of finished epochs, the request to stop,
/// and the Watch, reported from the thread that made the RunControl only, between two of its
/// epochs (so that a watch written for one thread, such as one that takes Python's lock and
/// handles its signals, is called from that thread alone, and the work stays on it).
class RunControl {
public:
    explicit RunControl(const Watch* watch = nullptr, std::size_t total_epochs = 0);
    RunControl(const RunControl&) = delete;
    RunControl& operator=(const RunControl&) = delete;

    /// Counts an epoch just finished; on the reporting thread, reports if `interval` has passed.
    void epoch_finished();
    /// Reports now (on the reporting thread): false, and stop(), if the watch asks to stop.
    bool report_now();
    void stop() noexcept;
    bool stopped() const noexcept;
    std::size_t epochs_done() const noexcept;

private:
    std::atomic<std::size_t> done_{0};
    std::atomic<bool> stop_{false};
    const Watch* watch_;
    std::size_t total_;
    std::thread::id reporter_;
    std::chrono::steady_clock::time_point next_report_;
};

/// Checks shapes, finiteness, signs and parameter ranges; throws InvalidInput naming the first
/// bad argument ("weights", "stakes", "kappa", ...). simulate() makes the same checks, the
/// weight values epoch by epoch as it reads them (so a bad weight may surface after earlier
/// epochs' outputs were written, and after a bad-stakes error that validate() would report second).
template <class T>
void validate(const Input<T>& in, const Params& params);

/// Runs every epoch of one scenario into `out`. `threads` > 1 splits each epoch's per-server
/// work (consensus, ranks, bonds) over that many std::threads (worth it from about 256 x 1024 up). `backend`
/// picks the kernels (default: simd::active_backend()); throws std::invalid_argument for one this
/// machine cannot run. Backends agree bit for bit except in consensus, whose float32 AVX2 and
/// AVX-512 selections sum stakes in another order: a column can differ only where the running stake
/// meets kappa within double rounding. Thread-safe: distinct calls share nothing.
/// `control`, if given, counts the finished epochs (and reports them, on its thread) and can stop
/// the run between two epochs.
template <class T>
void simulate(const Input<T>& in, const Params& params, Version version, Output<T>& out, unsigned threads = 1,
              std::optional<simd::backend> backend = std::nullopt, RunControl* control = nullptr);

/// One scenario of a batch: its inputs and the caller-owned outputs they fill.
template <class T>
struct Scenario {
    Input<T> in;
    Output<T> out;
};

/// Runs independent scenarios with one version and one set of parameters. A single scenario gets
/// all `threads` for its per-epoch work (as simulate()); several run side by side, one scenario
/// per worker on min(threads, scenarios) workers taking them in turn (the calling thread is one),
/// each checked (validate()) before any runs: an InvalidInput names the scenario ("scenarios[k]:
/// weights: ..."). After a failure the others stop at their next epoch and the first failure is
/// rethrown. `watch`, if given, is reported on the calling thread: between the epochs it runs,
/// then while it waits for the other workers.
template <class T>
void simulate_batch(std::span<Scenario<T>> scenarios, const Params& params, Version version, unsigned threads,
                    std::optional<simd::backend> backend = std::nullopt, const Watch* watch = nullptr);

/// Memory for outputs that outlive the run (the Python bindings hand it to numpy as the result
/// arrays). Keeping every epoch's bonds at 256 x 1024 returns ~100 MB a run, and fresh memory
/// costs a page fault and the kernel's zeroing of every page: about 0.1 ms of a ~0.5 ms epoch.
/// So blocks of at least kRetainFrom bytes that the caller gives back are kept (the newest
/// kRetainedBlocks, at most kRetainedBytes in all; on Linux marked MADV_FREE, which lets the
/// kernel take their pages back under memory pressure) and handed to the next take that they
/// fit without waste (capacity at most twice the request). `capacity` receives the block's
/// size, which give_result_memory needs back. Thread-safe; throws std::bad_alloc.
void* take_result_memory(std::size_t bytes, std::size_t& capacity);
void give_result_memory(void* p, std::size_t capacity) noexcept;
/// The bytes kept for reuse now (for tests and diagnostics).
std::size_t retained_result_bytes() noexcept;
inline constexpr std::size_t kRetainFrom = std::size_t{1} << 20;
inline constexpr std::size_t kRetainedBlocks = 8;
inline constexpr std::size_t kRetainedBytes = std::size_t{1} << 30;

extern template void validate<float>(const Input<float>&, const Params&);
extern template void validate<double>(const Input<double>&, const Params&);
extern template void simulate<float>(const Input<float>&, const Params&, Version, Output<float>&, unsigned,
                                     std::optional<simd::backend>, RunControl*);
extern template void simulate<double>(const Input<double>&, const Params&, Version, Output<double>&, unsigned,
                                      std::optional<simd::backend>, RunControl*);
extern template void simulate_batch<float>(std::span<Scenario<float>>, const Params&, Version, unsigned,
                                           std::optional<simd::backend>, const Watch*);
extern template void simulate_batch<double>(std::span<Scenario<double>>, const Params&, Version, unsigned,
                                            std::optional<simd::backend>, const Watch*);

namespace detail {

/// One validator's weight on a server and its stake.
template <class T>
struct WeightStake {
    T w;
    T s;
};

/// The weighted quantile of one column: with the (weight, stake) pairs ordered by weight,
/// highest first, the weight at which the running stake (summed in double) first reaches
/// `kappa`. Found by quickselect on the stake integral with a branchless three-way partition
/// (expected linear time, no sort). `a` holds the n > 0 pairs, `scratch` has room for 2n;
/// both are clobbered. If the stake never reaches kappa, the smallest weight.
template <class T>
T weighted_quantile_desc(WeightStake<T>* a, WeightStake<T>* scratch, std::size_t n, double kappa);

extern template float weighted_quantile_desc<float>(WeightStake<float>*, WeightStake<float>*, std::size_t, double);
extern template double weighted_quantile_desc<double>(WeightStake<double>*, WeightStake<double>*, std::size_t,
                                                      double);

}  // namespace detail

}  // namespace taocore::consensus::sim
