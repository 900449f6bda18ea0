// SPDX-License-Identifier: MIT
#include "taocore/crypto/ss58.hpp"

#include <cstdio>
#include <cstring>
#include <vector>

namespace taocore::crypto {
namespace {

constexpr char base58_alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr char checksum_domain[] = "SS58PRE";
constexpr std::size_t checksum_size = 2;
// The longest valid address decodes to 2 + 32 + 2 bytes; 50 base58 digits cover any 36 bytes,
// and every longer string decodes to more, so longer input is rejected before the quadratic
// base conversion.
constexpr std::size_t max_address_chars = 50;

std::string describe_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02x", u);
    return buf;
}

int base58_digit(char c) noexcept {
    const char* p = std::strchr(base58_alphabet, c);
    return (c != '\0' && p != nullptr) ? static_cast<int>(p - base58_alphabet) : -1;
}

std::string base58_encode(const std::uint8_t* data, std::size_t n) {
    std::size_t zeros = 0;
    while (zeros < n && data[zeros] == 0) ++zeros;
    // Base-58 digits, least significant first; at most 138/100 digits per byte.
    std::vector<std::uint8_t> digits;
    digits.reserve(n * 138 / 100 + 1);
    for (std::size_t i = zeros; i < n; ++i) {
        std::uint32_t carry = data[i];
        for (auto& d : digits) {
            carry += static_cast<std::uint32_t>(d) << 8;
            d = static_cast<std::uint8_t>(carry % 58);
            carry /= 58;
        }
        while (carry > 0) {
            digits.push_back(static_cast<std::uint8_t>(carry % 58));
            carry /= 58;
        }
    }
    std::string out(zeros, '1');
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) out.push_back(base58_alphabet[*it]);
    return out;
}

std::array<std::uint8_t, checksum_size> checksum(const std::uint8_t* data, std::size_t n) {
    blake2b_hasher h(64);
    h.update({reinterpret_cast<const std::uint8_t*>(checksum_domain), sizeof checksum_domain - 1});
    h.update({data, n});
    std::uint8_t full[64];
    h.finalize(full);
    return {full[0], full[1]};
}

[[noreturn]] void fail(ss58_error_kind kind, const std::string& why) {
    throw ss58_error(kind, "invalid SS58 address: " + why);
}

}  // namespace

std::string ss58_encode(byte_span account_id, std::uint32_t format) {
    if (account_id.size() != ss58_account_id_size)
        throw std::invalid_argument("public key must be 32 bytes, got " +
                                    std::to_string(account_id.size()));
    if (format > ss58_max_format)
        throw std::invalid_argument("ss58_format must be between 0 and 16383, got " + std::to_string(format));
    if (ss58_format_reserved(format))
        throw std::invalid_argument("ss58_format " + std::to_string(format) + " is reserved");
    std::uint8_t buf[2 + ss58_account_id_size + checksum_size];
    std::size_t len = 0;
    if (format < 64) {
        buf[len++] = static_cast<std::uint8_t>(format);
    } else {
        // 14 bits spread over two bytes the way Substrate does it: the low 6 bits of the first
        // byte are bits 2..7, the second byte carries bits 0..1 in its top and 8..13 below.
        buf[len++] = static_cast<std::uint8_t>(((format & 0xFC) >> 2) | 0x40);
        buf[len++] = static_cast<std::uint8_t>((format >> 8) | ((format & 0x03) << 6));
    }
    std::memcpy(buf + len, account_id.data(), ss58_account_id_size);
    len += ss58_account_id_size;
    const auto sum = checksum(buf, len);
    buf[len++] = sum[0];
    buf[len++] = sum[1];
    return base58_encode(buf, len);
}

ss58_address ss58_decode(std::string_view address, std::optional<std::uint32_t> expected_format) {
    for (std::size_t i = 0; i < address.size(); ++i)
        if (base58_digit(address[i]) < 0)
            fail(ss58_error_kind::bad_base58, "character " + describe_char(address[i]) + " at position " +
                                                  std::to_string(i) + " is not in the base58 alphabet");
    if (address.empty()) fail(ss58_error_kind::bad_length, "empty address");
    if (address.size() > max_address_chars)
        fail(ss58_error_kind::bad_length,
             "wrong length (" + std::to_string(address.size()) + " characters; at most 50 can encode a 32-byte account)");

    std::size_t zeros = 0;
    while (zeros < address.size() && address[zeros] == '1') ++zeros;
    std::vector<std::uint8_t> bytes;  // little-endian big number
    for (std::size_t i = zeros; i < address.size(); ++i) {
        std::uint32_t carry = static_cast<std::uint32_t>(base58_digit(address[i]));
        for (auto& b : bytes) {
            carry += static_cast<std::uint32_t>(b) * 58;
            b = static_cast<std::uint8_t>(carry & 0xff);
            carry >>= 8;
        }
        while (carry > 0) {
            bytes.push_back(static_cast<std::uint8_t>(carry & 0xff));
            carry >>= 8;
        }
    }
    std::vector<std::uint8_t> data(zeros, 0);
    data.insert(data.end(), bytes.rbegin(), bytes.rend());

    if (data.size() < 2)
        fail(ss58_error_kind::bad_length, "wrong length (" + std::to_string(data.size()) + " bytes decoded)");
    std::size_t prefix_len;
    std::uint32_t format;
    if (data[0] < 64) {
        prefix_len = 1;
        format = data[0];
    } else if (data[0] < 128) {
        prefix_len = 2;
        format = ((static_cast<std::uint32_t>(data[0]) << 2 | data[1] >> 6) & 0xFF) |
                 (static_cast<std::uint32_t>(data[1] & 0x3F) << 8);
    } else {
        char buf[8];
        std::snprintf(buf, sizeof buf, "0x%02x", data[0]);
        fail(ss58_error_kind::invalid_prefix,
             std::string("invalid prefix (first byte ") + buf + "; it must be below 0x80)");
    }
    if (data.size() != prefix_len + ss58_account_id_size + checksum_size)
        fail(ss58_error_kind::bad_length, "wrong length (" + std::to_string(data.size()) + " bytes decoded, expected " +
                                              std::to_string(prefix_len + ss58_account_id_size + checksum_size) +
                                              " for a 32-byte account)");
    const std::size_t body = data.size() - checksum_size;
    const auto sum = checksum(data.data(), body);
    if (sum[0] != data[body] || sum[1] != data[body + 1]) fail(ss58_error_kind::bad_checksum, "bad checksum");
    if (ss58_format_reserved(format))
        fail(ss58_error_kind::reserved_prefix, "prefix " + std::to_string(format) + " is reserved");
    if (expected_format && format != *expected_format)
        fail(ss58_error_kind::wrong_format, "SS58 format is " + std::to_string(format) + ", expected " +
                                                std::to_string(*expected_format));
    ss58_address out{};
    std::memcpy(out.account_id.data(), data.data() + prefix_len, ss58_account_id_size);
    out.format = static_cast<std::uint16_t>(format);
    return out;
}

}  // namespace taocore::crypto
