#pragma once
// Linux x86 bzImage setup header (Linux Documentation/arch/x86/boot.rst, "The real-mode
// kernel header"). Pure parser, no I/O: only the fields a PV domain builder needs to find the
// compressed vmlinux payload are read, each bounds-checked against the file.

#include <cstdint>

#include "base/bytes.h"
#include "base/result.h"

namespace krata::xen::boot {

// Offsets in the file (boot.rst, "Details of header fields").
inline constexpr size_t kSetupSectsOffset = 0x1f1;     // u8; 0 means 4
inline constexpr size_t kBootFlagOffset = 0x1fe;       // u16 0xAA55
inline constexpr size_t kHeaderMagicOffset = 0x202;    // u32 "HdrS"
inline constexpr size_t kVersionOffset = 0x206;        // u16 boot protocol version
inline constexpr size_t kPayloadOffsetOffset = 0x248;  // u32, protocol 2.08+
inline constexpr size_t kPayloadLengthOffset = 0x24c;  // u32, protocol 2.08+
inline constexpr uint16_t kBootFlag = 0xaa55;
inline constexpr uint32_t kHeaderMagic = 0x53726448;  // "HdrS" little-endian
inline constexpr uint16_t kMinVersion = 0x0208;       // first with payload_offset/length
inline constexpr size_t kSectorSize = 512;

struct BzImage {
  uint16_t version = 0;       // boot protocol, e.g. 0x020f
  uint32_t setup_sects = 0;   // after the "0 means 4" rule
  size_t setup_size = 0;      // (setup_sects + 1) * 512: where protected-mode code starts
  size_t payload_offset = 0;  // absolute offset of the payload in the file
  ByteSpan payload;           // the compressed vmlinux (plus Linux's 4-byte size trailer)
};

// True if the file carries the boot flag and "HdrS" magic (cheap probe, no validation).
bool LooksLikeBzImage(ByteSpan file);

// Parses and validates the header. Errors: too short, bad magic, protocol older than 2.08,
// or setup/payload ranges outside the file. On success `payload` is a subspan of `file`.
Result<BzImage> ParseBzImage(ByteSpan file);

}  // namespace krata::xen::boot
