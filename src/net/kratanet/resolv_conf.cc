#include "net/kratanet/resolv_conf.h"

#include <charconv>

namespace krata::net::kratanet {
namespace {

constexpr uint16_t kDnsPort = 53;

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

// The next blank-separated token of `line` from `pos` on; empty at the end.
std::string_view NextToken(std::string_view line, size_t& pos) {
  while (pos < line.size() && IsBlank(line[pos])) ++pos;
  size_t start = pos;
  while (pos < line.size() && !IsBlank(line[pos])) ++pos;
  return line.substr(start, pos - start);
}

Result<uint16_t> ParsePort(std::string_view text) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v == 0 || v > 65535) {
    return Error::Invalid("parse DNS server", "bad port \"" + std::string(text) + "\"");
  }
  return static_cast<uint16_t>(v);
}

}  // namespace

std::vector<Endpoint> ParseResolvConf(std::string_view text) {
  std::vector<Endpoint> servers;
  size_t pos = 0;
  while (pos < text.size() && servers.size() < kMaxNameservers) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    size_t at = 0;
    if (NextToken(line, at) != "nameserver") continue;
    std::string_view addr = NextToken(line, at);
    if (addr.find('%') != std::string_view::npos) continue;  // scoped IPv6
    Result<IpAddr> ip = ParseIp(addr);
    if (!ip.has_value()) continue;
    servers.push_back(Endpoint{*ip, kDnsPort});
  }
  return servers;
}

Result<Endpoint> ParseDnsServer(std::string_view text) {
  constexpr std::string_view kOp = "parse DNS server";
  std::string_view host = text;
  uint16_t port = kDnsPort;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return Error::Invalid(kOp, "missing ']'");
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return Error::Invalid(kOp, "junk after ']'");
      port = TRY(ParsePort(rest.substr(1)));
    }
    Result<IpAddr> ip = ParseIp(host);
    if (!ip.has_value() || !ip->v6) return Error::Invalid(kOp, "bad IPv6 address in []");
    return Endpoint{*ip, port};
  }
  size_t colon = text.find(':');
  // One colon: IPv4:PORT. More than one: a bare IPv6 address.
  if (colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
    host = text.substr(0, colon);
    port = TRY(ParsePort(text.substr(colon + 1)));
  }
  IpAddr ip = TRY(ParseIp(host));
  return Endpoint{ip, port};
}

}  // namespace krata::net::kratanet
