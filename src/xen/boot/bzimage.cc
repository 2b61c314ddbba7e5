#include "xen/boot/bzimage.h"

#include <fmt/format.h>

#include "base/checked.h"

namespace krata::xen::boot {
namespace {

constexpr std::string_view kOp = "bzImage";

}  // namespace

bool LooksLikeBzImage(ByteSpan file) {
  return LoadLe<uint16_t>(file, kBootFlagOffset) == kBootFlag &&
         LoadLe<uint32_t>(file, kHeaderMagicOffset) == kHeaderMagic;
}

Result<BzImage> ParseBzImage(ByteSpan file) {
  auto boot_flag = LoadLe<uint16_t>(file, kBootFlagOffset);
  auto magic = LoadLe<uint32_t>(file, kHeaderMagicOffset);
  auto version = LoadLe<uint16_t>(file, kVersionOffset);
  if (!boot_flag || !magic || !version) {
    return Error::Invalid(kOp,
                          fmt::format("file too short for a setup header ({} bytes)", file.size()));
  }
  if (*boot_flag != kBootFlag) {
    return Error::Invalid(kOp, fmt::format("boot_flag {:#06x} at 0x1fe, want 0xaa55", *boot_flag));
  }
  if (*magic != kHeaderMagic) return Error::Invalid(kOp, "no \"HdrS\" magic at 0x202");
  if (*version < kMinVersion) {
    return Error::Invalid(kOp, fmt::format("boot protocol {}.{:02} is older than 2.08 (no "
                                           "payload_offset)",
                                           *version >> 8, *version & 0xff));
  }
  auto payload_offset = LoadLe<uint32_t>(file, kPayloadOffsetOffset);
  auto payload_length = LoadLe<uint32_t>(file, kPayloadLengthOffset);
  auto setup_sects = LoadLe<uint8_t>(file, kSetupSectsOffset);
  if (!payload_offset || !payload_length || !setup_sects) {
    return Error::Invalid(kOp, "file too short for payload_offset/payload_length");
  }

  BzImage out;
  out.version = *version;
  // boot.rst: "If this field is 0, the real value is 4."
  out.setup_sects = *setup_sects == 0 ? 4 : *setup_sects;
  // At most 256 * 512, so no overflow is possible in size_t; keep the arithmetic in uint64.
  uint64_t setup_size = (uint64_t{out.setup_sects} + 1) * kSectorSize;
  if (setup_size > file.size()) {
    return Error::Invalid(kOp, fmt::format("setup_sects {} puts protected-mode code at {:#x}, "
                                           "past the end of the {}-byte file",
                                           out.setup_sects, setup_size, file.size()));
  }
  // payload_offset counts from the start of the protected-mode code.
  auto start = CheckedAdd<uint64_t>(setup_size, *payload_offset);
  auto end = start ? CheckedAdd<uint64_t>(*start, *payload_length) : std::nullopt;
  if (!end || *end > file.size()) {
    return Error::Invalid(kOp,
                          fmt::format("payload [{:#x}+{:#x}, +{:#x}) lies outside the "
                                      "{}-byte file",
                                      setup_size, *payload_offset, *payload_length, file.size()));
  }
  if (*payload_length == 0) return Error::Invalid(kOp, "payload_length is 0");
  out.setup_size = setup_size;
  out.payload_offset = *start;
  out.payload = file.subspan(*start, *payload_length);
  return out;
}

}  // namespace krata::xen::boot
