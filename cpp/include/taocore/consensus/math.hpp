// SPDX-License-Identifier: MIT
// The epoch's vector and sparse-matrix helpers on I32F32, with subtensor's exact rounding and
// storage-order rules (spec subtensor-epoch.md §7). The epoch is built from these, and the tests
// replay subtensor's own math assertions against them one by one.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <span>
#include <type_traits>
#include <vector>

#include "taocore/fixed.hpp"

namespace taocore::consensus::math {

using fixed::I32F32;

/// One stored entry of a sparse row: (column uid, value).
struct Entry {
    std::uint16_t col;
    I32F32 value;
};
static_assert(std::is_trivially_copyable_v<Entry>);
namespace detail {
template <class T>
struct CachedAllocator;
}
/// Vectors of I32F32 live in the per-thread buffer cache (detail::CachedAllocator).
using Vector = std::vector<I32F32, detail::CachedAllocator<I32F32>>;
/// One row's entries, in storage order.
using Row = std::span<Entry>;
using ConstRow = std::span<const Entry>;

/// Sparse rows in storage order (the chain keeps the caller's order; nothing here sorts), kept in
/// one contiguous array with row offsets (CSR): an epoch walks every entry several times, and a
/// vector per row cost more in allocation and pointer chasing than the arithmetic itself.
/// Built row by row: `push` entries of the open row, `close_row()`, next row.
namespace detail {
/// Large scratch buffers for the epoch's matrices, kept per thread between calls: an epoch frees
/// what it allocated, and letting the C library unmap and re-fault those pages every call
/// doubled its time. `take_buffer` returns at least `bytes` (the size actually reserved in
/// `capacity`); `give_buffer` takes it back.
void* take_buffer(std::size_t bytes, std::size_t& capacity);
void give_buffer(void* p, std::size_t capacity) noexcept;

/// n zero-filled values (or, with zero_fill false, whatever the buffer held) of a trivially
/// copyable T in a cached buffer.
template <class T>
class CachedArray {
public:
    explicit CachedArray(std::size_t n, bool zero_fill = true)
        : data_(static_cast<T*>(take_buffer(n * sizeof(T) + 1, capacity_))) {
        static_assert(std::is_trivially_copyable_v<T>);
        if (zero_fill) std::memset(static_cast<void*>(data_), 0, n * sizeof(T));
    }
    ~CachedArray() { give_buffer(data_, capacity_); }
    CachedArray(const CachedArray&) = delete;
    CachedArray& operator=(const CachedArray&) = delete;
    T& operator[](std::size_t i) noexcept { return data_[i]; }
    T* data() noexcept { return data_; }

private:
    std::size_t capacity_ = 0;
    T* data_;
};
/// A std::allocator through take_buffer/give_buffer, for the epoch's per-call vectors: at 4096
/// uids each is 32 KB or more, below the C library's mmap threshold, so they come from the heap
/// top, and freeing them all at the end of a call made glibc trim the top and fault the pages in
/// again on the next call (100-250 minor faults per epoch). Each allocation records its real
/// capacity in a header, since deallocate is told only the size asked for.
template <class T>
struct CachedAllocator {
    using value_type = T;
    static constexpr std::size_t header = 16;  // keeps malloc's 16-byte alignment
    static_assert(alignof(T) <= header);
    CachedAllocator() noexcept = default;
    template <class U>
    CachedAllocator(const CachedAllocator<U>&) noexcept {}
    T* allocate(std::size_t n) {
        if (n > (std::size_t(-1) - header) / sizeof(T)) throw std::bad_alloc();
        std::size_t capacity = 0;
        auto* p = static_cast<unsigned char*>(take_buffer(n * sizeof(T) + header, capacity));
        std::memcpy(p, &capacity, sizeof capacity);
        return reinterpret_cast<T*>(p + header);
    }
    void deallocate(T* q, std::size_t) noexcept {
        unsigned char* p = reinterpret_cast<unsigned char*>(q) - header;
        std::size_t capacity = 0;
        std::memcpy(&capacity, p, sizeof capacity);
        give_buffer(p, capacity);
    }
    template <class U>
    bool operator==(const CachedAllocator<U>&) const noexcept { return true; }
};
/// A std::vector in cached buffers (see CachedAllocator).
template <class T>
using CachedVector = std::vector<T, CachedAllocator<T>>;
}  // namespace detail

class SparseMatrix {
public:
    SparseMatrix() : start_(1, 0) {}
    /// `rows` empty rows.
    explicit SparseMatrix(std::size_t rows) : start_(rows + 1, 0) {}
    SparseMatrix(const SparseMatrix& other) : start_(other.start_) { append(other.data_, other.size_); }
    SparseMatrix(SparseMatrix&& other) noexcept
        : start_(std::move(other.start_)), data_(other.data_), size_(other.size_), capacity_(other.capacity_) {
        other.data_ = nullptr;
        other.size_ = other.capacity_ = 0;
        other.start_.assign(1, 0);
    }
    SparseMatrix& operator=(const SparseMatrix& other) {
        if (this != &other) {
            start_ = other.start_;
            size_ = 0;
            append(other.data_, other.size_);
        }
        return *this;
    }
    SparseMatrix& operator=(SparseMatrix&& other) noexcept {
        if (this != &other) {
            release();
            start_ = std::move(other.start_);
            data_ = other.data_;
            size_ = other.size_;
            capacity_ = other.capacity_;
            other.data_ = nullptr;
            other.size_ = other.capacity_ = 0;
            other.start_.assign(1, 0);
        }
        return *this;
    }
    ~SparseMatrix() { release(); }

    std::size_t size() const noexcept { return start_.size() - 1; }
    std::size_t nnz() const noexcept { return size_; }
    Row operator[](std::size_t i) noexcept { return {data_ + start_[i], data_ + start_[i + 1]}; }
    ConstRow operator[](std::size_t i) const noexcept { return {data_ + start_[i], data_ + start_[i + 1]}; }
    std::span<Entry> entries() noexcept { return {data_, size_}; }
    std::span<const Entry> entries() const noexcept { return {data_, size_}; }

    void reserve(std::size_t rows, std::size_t entries) {
        start_.reserve(rows + 1);
        grow(entries);
    }
    void push(Entry e) {
        if (size_ == capacity_) grow(2 * capacity_ + 16);
        data_[size_++] = e;
    }
    void close_row() { start_.push_back(size_); }
    /// Room for up to `max_entries` entries of the open row, to be written through the returned
    /// pointer without per-entry checks (the room is not initialised); `end_row(one past the
    /// last written)` closes the row.
    Entry* begin_row(std::size_t max_entries) {
        if (capacity_ - size_ < max_entries) grow(std::max(2 * capacity_, size_ + max_entries));
        return data_ + size_;
    }
    void end_row(const Entry* end) {
        size_ = static_cast<std::size_t>(end - data_);
        close_row();
    }

    /// Rewrites every row in place, in order: rewrite(i, row, out) writes row i's new entries
    /// from `out` on and returns one past the last. `out` never lies ahead of the row's first
    /// entry, so a rewrite that writes each entry after reading it (and no more entries than it
    /// has read) may read and write the same storage.
    template <class Rewrite>
    void rewrite_rows(Rewrite&& rewrite) {
        Entry* write = data_;
        for (std::size_t i = 0; i < size(); ++i) {
            const ConstRow row{data_ + start_[i], data_ + start_[i + 1]};
            start_[i] = static_cast<std::size_t>(write - data_);
            write = rewrite(i, row, write);
        }
        size_ = static_cast<std::size_t>(write - data_);
        start_.back() = size_;
    }

    /// Drop every entry (i, e) with drop(i, e), keeping the order of the rest (the masks).
    template <class Drop>
    void remove_if(Drop&& drop) {
        rewrite_rows([&drop](std::size_t i, ConstRow row, Entry* out) {
            for (const Entry& e : row) {
                const Entry kept = e;
                *out = kept;
                out += drop(i, kept) ? 0 : 1;
            }
            return out;
        });
    }

private:
    // Entries live in a plain buffer rather than a std::vector so that rows can be written in
    // place through begin_row without first value-initialising the room (Entry is trivially
    // copyable; an epoch writes each matrix's entries once), and so that the buffer can return
    // to the per-thread cache.
    void grow(std::size_t capacity) {
        if (capacity <= capacity_) return;
        std::size_t bytes = 0;
        auto* p = static_cast<Entry*>(detail::take_buffer(capacity * sizeof(Entry), bytes));
        if (size_ != 0) std::memcpy(p, data_, size_ * sizeof(Entry));
        release_buffer();
        data_ = p;
        capacity_ = bytes / sizeof(Entry);
    }
    void append(const Entry* src, std::size_t count) {
        grow(size_ + count);
        if (count != 0) std::memcpy(data_ + size_, src, count * sizeof(Entry));
        size_ += count;
    }
    void release_buffer() noexcept {
        if (data_ != nullptr) detail::give_buffer(data_, capacity_ * sizeof(Entry));
        data_ = nullptr;
        capacity_ = 0;
    }
    void release() noexcept {
        release_buffer();
        size_ = 0;
    }

    detail::CachedVector<std::size_t> start_;  // size() + 1 offsets into the entries
    Entry* data_ = nullptr;
    std::size_t size_ = 0, capacity_ = 0;
};

// ---- conversions (§7.1, §7.2) --------------------------------------------------------------------
/// floor(x · 65535) clamped to [0, 65535] (saturating I32F32 product, then saturating to u16).
inline std::uint16_t fixed_proportion_to_u16(I32F32 x) noexcept {
    if (x.bits <= 0) return 0;
    // x >= 1 saturates; below, the bits of x·65535 fit 64 bits.
    if (x.bits >= (std::int64_t{1} << 32)) return 65535;
    return static_cast<std::uint16_t>((static_cast<std::uint64_t>(x.bits) * 65535u) >> 32);
}
/// x / 65535 as I32F32 (checked_div, truncated). Since 2^32 = 65535·65537 + 1, the quotient
/// floor(x·2^32 / 65535) is x·65537 + floor(x / 65535) exactly, with no division.
inline I32F32 u16_proportion_to_fixed(std::uint16_t x) noexcept {
    return I32F32::from_bits(static_cast<std::int64_t>(x) * 65537 + (x == 65535 ? 1 : 0));
}
inline I32F32 u16_to_fixed(std::uint16_t x) noexcept { return I32F32::from_int(x); }
std::vector<std::uint16_t> vec_max_upscale_to_u16(const Vector& v);
std::vector<std::uint16_t> vec_u16_max_upscale_to_u16(const std::vector<std::uint16_t>& v);
bool check_vec_max_limited(const std::vector<std::uint16_t>& v, std::uint16_t max_limit);
/// 1 − I32F32(I64F64(bonds_moving_average) / I64F64(1e6)): the EMA weight of new bonds.
I32F32 bonds_moving_average_alpha(std::uint64_t bonds_moving_average) noexcept;

// ---- transcendental (§1.3, §3.1) -----------------------------------------------------------------
I32F32 exp_safe(I32F32 x) noexcept;
/// exp_safe of `count` values into out (several series run interleaved; each is exp_safe's).
void exp_safe_many(const I32F32* x, std::size_t count, I32F32* out) noexcept;
I32F32 sigmoid_safe(I32F32 input, I32F32 rho, I32F32 kappa) noexcept;
/// Liquid alpha for one (consensus, weight, bond) triple; low/high/steepness already as I32F32.
I32F32 alpha_sigmoid(I32F32 consensus, I32F32 weight, I32F32 bond, I32F32 alpha_low, I32F32 alpha_high,
                     I32F32 steepness) noexcept;
/// alpha_sigmoid of `count` triples (element k: consensus[k], weight[k], bond[k]) into out[k]; the
/// exp series of several entries run interleaved.
void alpha_sigmoid_many(const I32F32* consensus, const I32F32* weight, const I32F32* bond, std::size_t count,
                        I32F32 alpha_low, I32F32 alpha_high, I32F32 steepness, I32F32* out) noexcept;
/// alpha_sigmoid_many over a row whose columns strictly increase and index `consensus` and `bond`:
/// out[k] = alpha_sigmoid(consensus[row[k].col], row[k].value, bond[row[k].col], ...).
void alpha_sigmoid_row(ConstRow row, const I32F32* consensus, const I32F32* bond, I32F32 alpha_low, I32F32 alpha_high,
                       I32F32 steepness, I32F32* out) noexcept;

// ---- vectors (§7.3, §7.4) ------------------------------------------------------------------------
std::vector<bool> is_topk(const Vector& v, std::size_t k);
std::vector<bool> is_topk_nonzero(const Vector& v, std::size_t k);
I32F32 sum(const Vector& v) noexcept;
void inplace_normalize(Vector& v) noexcept;
void inplace_normalize_using_sum(Vector& v, I32F32 s) noexcept;
Vector vecdiv(const Vector& x, const Vector& y);
Vector vec_mul(const Vector& a, const Vector& b);

// ---- sparse matrices (§7.4 – §7.7) ---------------------------------------------------------------
void inplace_row_normalize(Row row) noexcept;  // divide by the row sum if it is > 0
/// inplace_row_normalize for a row of whole, non-negative numbers whose (wrapping) I32F32 sum is
/// `sum`, known to the caller (the epoch's weights, summed while they are loaded).
void inplace_whole_row_normalize(Row row, I32F32 sum) noexcept;
void inplace_row_normalize_sparse(SparseMatrix& m) noexcept;
/// out[k] = (col[k], u16_proportion_to_fixed(value[k])) if proportion, else
/// (col[k], u16_to_fixed(value[k])), for k < count.
void load_u16_row(const std::uint16_t* col, const std::uint16_t* value, std::size_t count, bool proportion,
                  Entry* out) noexcept;
/// For each entry of row in order with col < columns: dense[col] = its value (zero: 0).
void scatter_row(ConstRow row, I32F32* dense, std::size_t columns, bool zero) noexcept;
/// A row of whole u16 weights (uids col[k], values value[k]) without uid `self` (none: -1),
/// normalised as inplace_whole_row_normalize does by the total of the values kept, into out in
/// order, by the active backend's vector rule: one past the last entry written, or nullptr
/// (nothing written) where there is none or its conditions do not hold (0 < total < 2^31).
Entry* whole_row_normalized(const std::uint16_t* col, const std::uint16_t* value, std::size_t count, std::size_t self,
                            Entry* out) noexcept;
/// col[k] = entries[k].col and value[k] = fixed_proportion_to_u16(entries[k].value).
void entries_to_u16(ConstRow entries, std::uint16_t* col, std::uint16_t* value) noexcept;
void inplace_col_normalize_sparse(SparseMatrix& m, std::size_t columns);
/// Per-column saturating sums of the entries with col < columns, added in storage order (the
/// column normalisation's divisors). The producers below can return them from the pass that
/// writes the entries, which adds them in the same order.
Vector column_sums(const SparseMatrix& m, std::size_t columns);
/// column_sums' running sums, for the loops that write entries and sum them on the way: over a
/// plain array, since a std::vector's size and data would be reloaded after every entry written
/// (the compiler cannot rule out that the entry stores reach them).
struct ColumnSums {
    I32F32* sum;
    std::size_t columns;
    explicit ColumnSums(Vector& v) noexcept : sum(v.data()), columns(v.size()) {}
    ColumnSums(I32F32* s, std::size_t n) noexcept : sum(s), columns(n) {}
    [[gnu::always_inline]] void add(const Entry& e) const noexcept {
        if (e.col < columns) sum[e.col] = fixed::saturating_add(sum[e.col], e.value);
    }
};
/// inplace_col_normalize_sparse with its divisors known: col_sum = column_sums(m, col_sum.size()).
void inplace_col_normalize_sparse(SparseMatrix& m, const Vector& col_sum);
/// inplace_col_normalize_sparse(m, col_sum) (sums as above), then matmul_transpose_sparse(m, v),
/// returned, and the column maxima of the normalised m (inplace_col_max_upscale_sparse's
/// divisors) into col_max, all from one pass over the entries (Yuma's bonds and dividends).
Vector col_normalize_matmul_transpose_sparse(SparseMatrix& m, const Vector& col_sum, const Vector& v, Vector& col_max);
/// inplace_col_max_upscale_sparse with its divisors known (the column maxima).
void inplace_col_max_upscale_sparse(SparseMatrix& m, const Vector& col_max);
void inplace_col_max_upscale_sparse(SparseMatrix& m, std::size_t columns);
SparseMatrix mask_rows_sparse(const std::vector<bool>& mask, const SparseMatrix& m);
SparseMatrix mask_diag_sparse(const SparseMatrix& m);
SparseMatrix mask_diag_sparse_except_index(const SparseMatrix& m, std::size_t except_index);

enum class MaskOp { equal, less, less_equal };

/// Whether a mask drops an entry: op(a, b) for the two values it compares.
inline bool mask_applies(MaskOp op, std::uint64_t a, std::uint64_t b) noexcept {
    switch (op) {
        case MaskOp::equal: return a == b;
        case MaskOp::less: return a < b;
        case MaskOp::less_equal: return a <= b;
    }
    return false;
}

// In-place forms of the masks (the copying forms above and below are built on these).
void mask_rows_inplace(const std::vector<bool>& mask, SparseMatrix& m) noexcept;
void mask_diag_inplace(SparseMatrix& m, std::size_t except_index) noexcept;  // except: SIZE_MAX for none
void vec_mask_inplace(SparseMatrix& m, const std::vector<std::uint64_t>& first,
                      const std::vector<std::uint64_t>& second, MaskOp op) noexcept;
void scalar_vec_mask_inplace(SparseMatrix& m, std::uint64_t scalar, const std::vector<std::uint64_t>& v,
                             MaskOp op) noexcept;
/// Drop (i,j) where op(first[i], second[j]) holds; a missing first[i]/second[j] reads as 0.
SparseMatrix vec_mask_sparse_matrix(const SparseMatrix& m, const std::vector<std::uint64_t>& first,
                                    const std::vector<std::uint64_t>& second, MaskOp op);
/// Drop (i,j) where op(scalar, v[j]) holds.
SparseMatrix scalar_vec_mask_sparse_matrix(const SparseMatrix& m, std::uint64_t scalar,
                                           const std::vector<std::uint64_t>& v, MaskOp op);

Vector row_sum_sparse(const SparseMatrix& m);
Vector matmul_sparse(const SparseMatrix& m, const Vector& v, std::size_t columns);
Vector matmul_transpose_sparse(const SparseMatrix& m, const Vector& v);
/// row_hadamard_sparse's entry: the value times the row's factor (floored product).
inline Entry row_hadamard_entry(const Entry& e, I32F32 factor) noexcept { return {e.col, fixed::mul(e.value, factor)}; }
/// out[k] = row_hadamard_entry(row[k], factor) for every entry of row (out may be row itself).
void row_hadamard_row(ConstRow row, I32F32 factor, Entry* out) noexcept;
SparseMatrix row_hadamard_sparse(const SparseMatrix& m, const Vector& v);
/// column_sums(row_hadamard_sparse(m, v), columns) without building the product.
Vector row_hadamard_column_sums(const SparseMatrix& m, const Vector& v, std::size_t columns);
SparseMatrix mat_vec_mul_sparse(const SparseMatrix& m, const Vector& v);
/// row_sum(mat_vec_mul_sparse(col-normalised copy of m, v)) without building the two matrices:
/// per row, Σ_j floor((m_ij / colsum_j) · v_j) with the same divisions and floors.
Vector col_normalized_row_dot(const SparseMatrix& m, const Vector& v, std::size_t columns);
/// The same with the column sums known (col_sum = column_sums(m, columns)).
Vector col_normalized_row_dot(const SparseMatrix& m, const Vector& v, const Vector& col_sum);
SparseMatrix col_clip_sparse(const SparseMatrix& m, const Vector& threshold);
/// col_clip_sparse's rule for one entry below column threshold `th`: above it the entry becomes
/// the threshold, and is dropped (false) if that is <= 0.
inline bool clip_entry(Entry& e, I32F32 th) noexcept {
    // With masks, not branches (which compilers also make of a min here): whether a weight is
    // above its column's consensus is a coin toss.
    const std::int64_t v = e.value.bits, t = th.bits;
    const std::uint64_t clip = 0 - static_cast<std::uint64_t>(t < v);
    e.value.bits = v ^ static_cast<std::int64_t>(static_cast<std::uint64_t>(v ^ t) & clip);
    return (clip & static_cast<std::uint64_t>(t <= 0)) == 0;
}
/// The clipped weights with, from the same pass, their row sums (row_sum_sparse) and
/// matmul_sparse(clipped, v, threshold.size()): the epoch's consensus clip, validator trust and
/// incentive.
struct ClippedSums {
    SparseMatrix clipped;
    Vector row_sum;
    Vector matmul;
};
ClippedSums col_clip_sums_sparse(const SparseMatrix& m, const Vector& threshold, const Vector& v);
/// The same, clipping m's entries where they are (an epoch with the full bonds penalty reads its
/// weights no more after the clip: a second matrix of them was about a fifth of a 256-uid
/// epoch's working set).
ClippedSums col_clip_sums_sparse(SparseMatrix&& m, const Vector& threshold, const Vector& v);
SparseMatrix interpolate_sparse(const SparseMatrix& m1, const SparseMatrix& m2, std::size_t columns, I32F32 ratio);
/// col_sum, when given, receives column_sums(result, next.size()).
SparseMatrix mat_ema_sparse(const SparseMatrix& next, const SparseMatrix& prev, I32F32 alpha, Vector* col_sum = nullptr);
/// Row i of a matrix built on demand, in storage the source owns and may reuse at its next call
/// (the caller may change the entries in place).
using RowSource = std::function<Row(std::size_t)>;
/// mat_ema_sparse with prev's rows from a source, asked for every row of next (as the epoch loads
/// the stored bonds: see mat_ema_alpha_sparse); `expected_entries` sizes the result's first
/// allocation.
SparseMatrix mat_ema_sparse(const SparseMatrix& next, const RowSource& prev, I32F32 alpha, Vector* col_sum,
                            std::size_t expected_entries);
/// mat_ema_sparse(N, P, alpha, col_sum) for rows × rows matrices whose rows come from `next` and
/// `prev`, each column-normalised by its known column sums first (N = next's rows with
/// inplace_col_normalize_sparse(·, next_sum), P likewise): Yuma's bond update. Each row is
/// divided when the average reaches it, while it is in L1, and neither normalised matrix is
/// built. `expected_entries` sizes the result's first allocation.
SparseMatrix mat_ema_col_normalized_sparse(std::size_t rows, const RowSource& next, const Vector& next_sum,
                                           const RowSource& prev, const Vector& prev_sum, I32F32 alpha, Vector* col_sum,
                                           std::size_t expected_entries);
/// Yuma3's EMA of one entry: min((1−α)·old + max(α·new, 0), 1), saturating.
inline I32F32 ema_alpha_entry(I32F32 alpha, I32F32 next, I32F32 prev) noexcept {
    const I32F32 one = I32F32::one();
    // α, weights and bonds are proportions in [0, 1]. Then 1 − α is too, both products are
    // floor(a·b / 2^32) <= 2^32 of non-negative values (no saturation, the increment is not
    // negative) and their sum fits: the saturating steps below reduce to these plain ones,
    // without their overflow tests (one per bond entry under liquid alpha).
    constexpr auto unit = static_cast<std::uint64_t>(std::int64_t{1} << 32);
    if (static_cast<std::uint64_t>(alpha.bits) <= unit && static_cast<std::uint64_t>(next.bits) <= unit &&
        static_cast<std::uint64_t>(prev.bits) <= unit) {
        const auto a = static_cast<std::uint64_t>(alpha.bits);
        const auto decayed = static_cast<std::uint64_t>((static_cast<fixed::u128>(unit - a) * static_cast<std::uint64_t>(prev.bits)) >> 32);
        const auto increment = static_cast<std::uint64_t>((static_cast<fixed::u128>(a) * static_cast<std::uint64_t>(next.bits)) >> 32);
        return I32F32::from_bits(static_cast<std::int64_t>(std::min(decayed + increment, unit)));
    }
    const I32F32 decayed = fixed::saturating_mul(fixed::saturating_sub(one, alpha), prev);
    I32F32 increment = fixed::saturating_mul(alpha, next);
    if (increment < I32F32::zero()) increment = I32F32::zero();
    const I32F32 v = fixed::saturating_add(decayed, increment);
    return v > one ? one : v;
}
/// mat_ema_alpha_sparse's pass over one row (entries with col >= columns skipped): each entry's
/// ema_alpha_entry(alpha[k], value, old_value[col]) written at w if positive, and, with col_sum,
/// added to its column's sum in entry order. `increasing`: the row's columns strictly increase
/// (false is always allowed). Returns one past the last entry written.
Entry* ema_alpha_row(ConstRow row, const I32F32* alpha, const I32F32* old_value, std::size_t columns, I32F32* col_sum,
                     bool increasing, Entry* w) noexcept;
/// Yuma3's per-entry EMA of `next` and the previous matrix, whose `prev_rows` rows come from
/// prev_row(i) (a ConstRow read before the next call: the epoch loads each stored bond row into
/// one buffer rather than building the matrix, about a fifth of a 256-uid epoch's working set).
/// `alpha(i, next_row, prev_row, old_value, out)` gives α for the entries of row i of `next`
/// (out[k] for next_row[k], those with a column below `columns`), given prev's row i and its
/// values by column (old_value[j]: the last entry of prev's row i in column j, else 0). With
/// col_sum, also column_sums(result, columns) into it, from the pass that writes the entries
/// (the same additions in the same order). `next_increasing`, when given, holds per row of `next`
/// whether its columns strictly increase (0 is always allowed).
template <class PrevRow, class AlphaRowFn>
SparseMatrix mat_ema_alpha_sparse(const SparseMatrix& next, std::size_t prev_rows, PrevRow&& prev_row,
                                  std::size_t columns, AlphaRowFn&& alpha, Vector* col_sum = nullptr,
                                  const std::uint8_t* next_increasing = nullptr);
/// Dense `mat_ema_alpha` (the dense test epoch's variant): min((1−α)·old + max(α·new, 0), 1).
std::vector<Vector> mat_ema_alpha_dense(const std::vector<Vector>& next, const std::vector<Vector>& prev,
                                        const std::vector<Vector>& alpha);

// ---- consensus (§7.6) ----------------------------------------------------------------------------
I32F32 weighted_median(const Vector& stake, const Vector& score, I32F32 minority, I32F32 lo, I32F32 hi);
Vector weighted_median_col_sparse(const Vector& stake, const SparseMatrix& score, std::size_t columns,
                                  I32F32 majority);

// ---- template definition -------------------------------------------------------------------------
template <class PrevRow, class AlphaRowFn>
SparseMatrix mat_ema_alpha_sparse(const SparseMatrix& next, std::size_t prev_rows, PrevRow&& prev_row,
                                  std::size_t columns, AlphaRowFn&& alpha, Vector* col_sum,
                                  const std::uint8_t* next_increasing) {
    if (next.size() != prev_rows) {
        if (col_sum != nullptr) *col_sum = column_sums(next, columns);
        return next;
    }
    if (col_sum != nullptr) col_sum->assign(columns, I32F32::zero());
    I32F32* const sums = col_sum != nullptr ? col_sum->data() : nullptr;
    SparseMatrix out;
    out.reserve(next.size(), next.nnz());
    Vector old_value(columns, I32F32::zero()), alpha_of;
    for (std::size_t i = 0; i < next.size(); ++i) {
        // A bond with no current weight entry is dropped.
        const ConstRow row = next[i];
        Entry* w = out.begin_row(row.size());
        if (!row.empty()) {
            const ConstRow old = prev_row(i);
            scatter_row(old, old_value.data(), columns, false);
            if (alpha_of.size() < row.size()) alpha_of.resize(row.size());
            alpha(i, row, old, static_cast<const I32F32*>(old_value.data()), alpha_of.data());
            w = ema_alpha_row(row, alpha_of.data(), old_value.data(), columns, sums,
                              next_increasing != nullptr && next_increasing[i] != 0, w);
            // Back to all zeros: a dense row's columns are most of them, and a fill (a plain store
            // per eight columns) is cheaper than undoing its scatter entry by entry.
            if (8 * old.size() >= columns)
                std::fill(old_value.begin(), old_value.end(), I32F32::zero());
            else
                scatter_row(old, old_value.data(), columns, true);
        }
        out.end_row(w);
    }
    return out;
}

}  // namespace taocore::consensus::math
