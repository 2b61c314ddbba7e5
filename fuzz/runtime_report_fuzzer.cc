// Fuzzes the runtime's parsers of xenstore values: krata/zone/exit-code and exit-signal (written
// by the guest: untrusted) and krata/loops. Input: code NUL signal NUL loops. Invariants: a
// parsed exit is in range; parsed loops are well-formed and survive a format/parse round trip.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "runtime/zone_files.h"

using namespace krata::runtime;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t a = in.find('\0');
  std::string code(in.substr(0, a));
  std::string_view rest = a == std::string_view::npos ? std::string_view() : in.substr(a + 1);
  size_t b = rest.find('\0');
  std::string signal(rest.substr(0, b));
  std::string_view loops = b == std::string_view::npos ? std::string_view() : rest.substr(b + 1);

  std::optional<ZoneExit> e = ParseZoneExit(code, signal);
  if (e) {
    if (e->signal < 0 || e->signal > 127 || e->code < 0 || e->code > 255) std::abort();
    if (e->signal == 0 && !ParseZoneExit(code, std::nullopt)) std::abort();
  }
  std::vector<RecordedLoop> parsed = ParseLoops(loops);
  for (const RecordedLoop& l : parsed) {
    if (l.number < 0 || l.file.empty() || l.file[0] != '/') std::abort();
  }
  // Files holding ',' or ":none" cannot round-trip; the runtime never records such paths.
  bool plain = true;
  for (const RecordedLoop& l : parsed) {
    plain =
        plain && l.file.find(',') == std::string::npos && l.file.find(":none") == std::string::npos;
  }
  if (plain && ParseLoops(FormatLoops(parsed)) != parsed) std::abort();
  return 0;
}
