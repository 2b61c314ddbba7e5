#include "zone/module_order.h"

#include <algorithm>

namespace krata::zone {
namespace {

constexpr std::string_view kOp = "krata-load-order";

bool SafeRelativePath(std::string_view p) {
  if (p.empty() || p.size() > 1024 || p.front() == '/' || !p.ends_with(".ko")) return false;
  if (std::any_of(p.begin(), p.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
    return false;
  }
  size_t pos = 0;
  while (pos <= p.size()) {
    size_t slash = p.find('/', pos);
    if (slash == std::string_view::npos) slash = p.size();
    std::string_view comp = p.substr(pos, slash - pos);
    if (comp.empty() || comp == "." || comp == "..") return false;
    pos = slash + 1;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

Result<std::vector<ModuleEntry>> ParseModuleOrder(std::string_view text) {
  std::vector<ModuleEntry> out;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = Trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    ModuleEntry e;
    if (line.front() == '?') {
      e.optional = true;
      line = Trim(line.substr(1));
    }
    if (!SafeRelativePath(line)) {
      return Error::Invalid(kOp, "line " + std::to_string(line_no) + ": bad module path");
    }
    e.path = std::string(line);
    if (std::any_of(out.begin(), out.end(),
                    [&](const ModuleEntry& m) { return m.path == e.path; })) {
      continue;
    }
    if (out.size() == kMaxModules) return Error::Invalid(kOp, "too many modules");
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace krata::zone
