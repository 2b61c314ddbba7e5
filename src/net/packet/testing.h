#pragma once
// Test helpers (tests only): checksum verification written independently of build.cc, and
// span conversions.

#include <cstdint>
#include <span>
#include <vector>

#include "base/bytes.h"

namespace krata::net::testing {

inline ByteSpan Span(const std::vector<uint8_t>& v) {
  return {reinterpret_cast<const std::byte*>(v.data()), v.size()};
}

inline ByteSpan Span(std::string_view s) { return AsBytes(s); }

// Plain RFC 1071 sum over 16-bit big-endian words, an odd last byte padded with zero.
inline uint16_t OnesSum(const std::vector<uint8_t>& bytes) {
  uint32_t sum = 0;
  for (size_t i = 0; i < bytes.size(); i += 2) {
    uint32_t hi = bytes[i];
    uint32_t lo = i + 1 < bytes.size() ? bytes[i + 1] : 0;
    sum += hi << 8 | lo;
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<uint16_t>(sum);
}

// For an Ethernet frame carrying IPv4/IPv6 without extension headers: true if the IPv4
// header checksum and the L4 checksum (with pseudo-header unless ICMPv4) verify, i.e. the
// ones' complement sum including the checksum field is 0xffff.
inline bool ChecksumsVerify(const std::vector<uint8_t>& f) {
  if (f.size() < 14) return false;
  uint16_t ethertype = static_cast<uint16_t>(f[12] << 8 | f[13]);
  std::vector<uint8_t> pseudo;
  size_t l4_off, l4_len;
  uint8_t proto;
  if (ethertype == 0x0800) {
    size_t ihl = (f[14] & 0x0f) * 4u;
    size_t total = static_cast<size_t>(f[16] << 8 | f[17]);
    std::vector<uint8_t> ip(f.begin() + 14, f.begin() + 14 + static_cast<long>(ihl));
    if (OnesSum(ip) != 0xffff) return false;
    proto = f[23];
    l4_off = 14 + ihl;
    l4_len = total - ihl;
    pseudo.insert(pseudo.end(), f.begin() + 26, f.begin() + 34);
    pseudo.insert(pseudo.end(),
                  {0, proto, static_cast<uint8_t>(l4_len >> 8), static_cast<uint8_t>(l4_len)});
    if (proto == 1) pseudo.clear();  // ICMPv4 has no pseudo-header
  } else if (ethertype == 0x86dd) {
    proto = f[20];
    l4_off = 54;
    l4_len = static_cast<size_t>(f[18] << 8 | f[19]);
    pseudo.insert(pseudo.end(), f.begin() + 22, f.begin() + 54);
    pseudo.insert(pseudo.end(), {0, 0, static_cast<uint8_t>(l4_len >> 8),
                                 static_cast<uint8_t>(l4_len), 0, 0, 0, proto});
  } else {
    return false;
  }
  if (l4_off + l4_len > f.size()) return false;
  std::vector<uint8_t> all = pseudo;
  all.insert(all.end(), f.begin() + static_cast<long>(l4_off),
             f.begin() + static_cast<long>(l4_off + l4_len));
  return OnesSum(all) == 0xffff;
}

}  // namespace krata::net::testing
