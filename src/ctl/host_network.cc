#include "ctl/host_network.h"

#include <cerrno>
#include <charconv>

namespace krata::ctl {
namespace {

namespace common = v1::common;
namespace control = v1::control;

Result<uint32_t> ParsePort(std::string_view text, std::string_view what, std::string_view whole) {
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < 1 || v > 65535) {
    return Error::Invalid("-p " + std::string(whole),
                          std::string(what) + " \"" + std::string(text) +
                              "\" is not a port (1..65535); expected HOSTPORT:ZONEPORT[/tcp|/udp]");
  }
  return v;
}

}  // namespace

Result<control::GetHostStatusReply> QueryDaemonHost(Connection& conn) {
  grpc::ClientContext ctx;
  control::GetHostStatusReply reply;
  grpc::Status st = conn.stub->GetHostStatus(&ctx, control::GetHostStatusRequest(), &reply);
  if (!st.ok()) return Error::Invalid("host status", StatusText(st));
  return reply;
}

std::string FormatNetworkText(const control::GetHostStatusReply& h) {
  if (h.ipv4_subnet().empty()) return "Zone network:     (kratad reports none)\n";
  return "Zone network:     " + h.ipv4_subnet() + " " + h.ipv6_subnet() + "\n" +
         "Zone gateway:     " + h.gateway_ipv4() + " " + h.gateway_ipv6() + " " + h.gateway_mac() +
         "\n" + "Host on network:  " + h.host_ipv4() + " " + h.host_ipv6() + " " + h.host_mac() +
         "\n";
}

void AddNetworkJson(const control::GetHostStatusReply& h, nlohmann::json& out) {
  out["ipv4_subnet"] = h.ipv4_subnet();
  out["ipv6_subnet"] = h.ipv6_subnet();
  out["gateway_ipv4"] = h.gateway_ipv4();
  out["gateway_ipv6"] = h.gateway_ipv6();
  out["gateway_mac"] = h.gateway_mac();
  out["host_ipv4"] = h.host_ipv4();
  out["host_ipv6"] = h.host_ipv6();
  out["host_mac"] = h.host_mac();
}

Result<common::ZonePortForward> ParsePortForward(std::string_view text) {
  common::ZonePortForward p;
  std::string_view ports = text;
  p.set_protocol(common::PORT_PROTOCOL_TCP);
  if (size_t slash = text.find('/'); slash != std::string_view::npos) {
    std::string_view proto = text.substr(slash + 1);
    if (proto == "udp") {
      p.set_protocol(common::PORT_PROTOCOL_UDP);
    } else if (proto != "tcp") {
      return Error::Invalid("-p " + std::string(text),
                            "protocol \"" + std::string(proto) + "\": expected tcp or udp");
    }
    ports = text.substr(0, slash);
  }
  size_t colon = ports.find(':');
  if (colon == std::string_view::npos) {
    return Error::Invalid("-p " + std::string(text), "expected HOSTPORT:ZONEPORT[/tcp|/udp]");
  }
  p.set_host_port(TRY(ParsePort(ports.substr(0, colon), "host port", text)));
  p.set_zone_port(TRY(ParsePort(ports.substr(colon + 1), "zone port", text)));
  return p;
}

}  // namespace krata::ctl
