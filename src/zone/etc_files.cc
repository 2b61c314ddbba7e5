#include "zone/etc_files.h"

#include <algorithm>

namespace krata::zone {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::vector<std::string_view> Fields(std::string_view line) {
  line = line.substr(0, line.find('#'));
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsSpace(line[i])) ++i;
    size_t start = i;
    while (i < line.size() && !IsSpace(line[i])) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

// True if some line of hosts maps addr to name.
bool HasMapping(std::string_view hosts, std::string_view addr, std::string_view name) {
  while (!hosts.empty()) {
    size_t nl = hosts.find('\n');
    std::vector<std::string_view> f = Fields(hosts.substr(0, nl));
    hosts = nl == std::string_view::npos ? std::string_view() : hosts.substr(nl + 1);
    if (f.size() >= 2 && f[0] == addr && std::find(f.begin() + 1, f.end(), name) != f.end()) {
      return true;
    }
  }
  return false;
}

}  // namespace

Status ValidateHostname(std::string_view name) {
  constexpr std::string_view kOp = "hostname";
  if (name.empty() || name.size() > 64) return Error::Invalid(kOp, "length must be 1..64");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.';
    if (!ok) return Error::Invalid(kOp, "only letters, digits, '-' and '.' are allowed");
  }
  if (name.front() == '-' || name.front() == '.' || name.back() == '-' || name.back() == '.') {
    return Error::Invalid(kOp, "must not start or end with '-' or '.'");
  }
  return {};
}

std::string EnsureHosts(std::string_view existing, std::string_view hostname) {
  std::string out;
  if (!HasMapping(existing, "127.0.0.1", "localhost")) out += "127.0.0.1\tlocalhost\n";
  out += existing;
  if (!out.empty() && out.back() != '\n') out += '\n';
  if (!HasMapping(existing, "127.0.1.1", hostname)) {
    out += "127.0.1.1\t" + std::string(hostname) + "\n";
  }
  return out;
}

Result<std::string> ResolvConf(const std::vector<std::string>& nameservers) {
  std::string out = "# krata: written by krata-zone from the launch config\n";
  for (const std::string& ns : nameservers) {
    if (ns.empty() || ns.size() > 64 || std::any_of(ns.begin(), ns.end(), [](char c) {
          return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '#' || c == ';';
        })) {
      return Error::Invalid("resolv.conf", "bad nameserver \"" + ns + "\"");
    }
    out += "nameserver " + ns + "\n";
  }
  return out;
}

std::optional<std::string> ConsoleDevice(std::string_view active) {
  std::vector<std::string_view> f = Fields(active.substr(0, active.find('\n')));
  if (f.empty()) return std::nullopt;
  std::string_view name = f.back();
  if (name.size() > 32 || !std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      })) {
    return std::nullopt;
  }
  return "/dev/" + std::string(name);
}

}  // namespace krata::zone
