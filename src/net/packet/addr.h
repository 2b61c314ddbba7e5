#pragma once
// Link and network addresses for kratanet: MAC, IPv4/IPv6 in one type, endpoints, subnets,
// and conversion to and from sockaddr.

#include <sys/socket.h>

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace krata::net {

using Mac = std::array<uint8_t, 6>;

// An IPv4 or IPv6 address. IPv4 uses the first 4 bytes of b; the rest stay zero, so
// defaulted comparison and hashing work.
struct IpAddr {
  bool v6 = false;
  std::array<uint8_t, 16> b{};

  static IpAddr V4(uint8_t a, uint8_t b1, uint8_t c, uint8_t d);
  static IpAddr V4Bytes(const uint8_t* p);  // 4 bytes, network order
  static IpAddr V6Bytes(const uint8_t* p);  // 16 bytes
  size_t size() const { return v6 ? 16 : 4; }
  bool IsUnspecified() const;  // 0.0.0.0 or ::
  bool IsMulticast() const;    // 224/4 or ff00::/8 (and 255.255.255.255)
  auto operator<=>(const IpAddr&) const = default;
};

struct Endpoint {
  IpAddr ip;
  uint16_t port = 0;
  auto operator<=>(const Endpoint&) const = default;
};

struct Subnet {
  IpAddr base;
  uint8_t prefix = 0;
  bool Contains(const IpAddr& a) const;  // false across families
};

Result<IpAddr> ParseIp(std::string_view text);
Result<Subnet> ParseSubnet(std::string_view text);  // "10.75.0.0/16"; host bits must be zero
// "10.75.0.3/16" -> address and prefix (host bits allowed).
Result<std::pair<IpAddr, uint8_t>> ParseCidr(std::string_view text);
Result<Mac> ParseMac(std::string_view text);  // "02:ab:cd:ef:01:23"
std::string ToString(const IpAddr& a);
std::string ToString(const Endpoint& e);  // "10.0.0.1:80", "[fd00::1]:80"
std::string ToString(const Subnet& s);
std::string ToString(const Mac& m);

// sockaddr_in / sockaddr_in6 for an endpoint; returns the length to pass to the syscall.
socklen_t ToSockaddr(const Endpoint& e, sockaddr_storage* out);
// Endpoint from a sockaddr_in/in6 (v4-mapped IPv6 addresses become IPv4).
Result<Endpoint> FromSockaddr(const sockaddr* sa, socklen_t len);

struct EndpointHash {
  size_t operator()(const Endpoint& e) const;
};

}  // namespace krata::net
