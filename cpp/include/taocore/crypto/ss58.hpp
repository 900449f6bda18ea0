// SPDX-License-Identifier: MIT
// SS58 addresses (Substrate's base58check variant) for 32-byte account ids, 1- and 2-byte prefixes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "taocore/crypto/hash.hpp"

namespace taocore::crypto {

inline constexpr std::uint16_t ss58_max_format = 16383;  // 14 bits
inline constexpr std::uint16_t ss58_bittensor_format = 42;
inline constexpr std::size_t ss58_account_id_size = 32;

/// Why an address was rejected; the what() text names the same reason for people.
enum class ss58_error_kind { bad_base58, bad_length, invalid_prefix, reserved_prefix, bad_checksum, wrong_format };

class ss58_error : public std::invalid_argument {
public:
    ss58_error(ss58_error_kind kind, const std::string& what) : std::invalid_argument(what), kind_(kind) {}
    ss58_error_kind kind() const noexcept { return kind_; }

private:
    ss58_error_kind kind_;
};

struct ss58_address {
    std::array<std::uint8_t, ss58_account_id_size> account_id;
    std::uint16_t format;
};

/// True for the prefixes Substrate reserves and refuses (46, 47).
constexpr bool ss58_format_reserved(std::uint32_t format) noexcept { return format == 46 || format == 47; }

/// Encodes a 32-byte account id. Throws std::invalid_argument for another length, a format above
/// 16383 or a reserved one.
std::string ss58_encode(byte_span account_id, std::uint32_t format = ss58_bittensor_format);

/// Decodes and checks an address; with expected_format, also requires that prefix. Throws
/// ss58_error saying which check failed.
ss58_address ss58_decode(std::string_view address, std::optional<std::uint32_t> expected_format = std::nullopt);

}  // namespace taocore::crypto
