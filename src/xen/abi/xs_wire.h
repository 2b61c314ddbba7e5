#pragma once
// The xenstore wire protocol: a 16-byte header then `len` payload bytes.
// Source: xen/include/public/io/xs_wire.h.

#include <cstddef>
#include <cstdint>

namespace krata::xen::abi {

enum class XsType : uint32_t {
  kControl = 0,
  kDirectory = 1,
  kRead = 2,
  kGetPerms = 3,
  kWatch = 4,
  kUnwatch = 5,
  kTransactionStart = 6,
  kTransactionEnd = 7,
  kIntroduce = 8,
  kRelease = 9,
  kGetDomainPath = 10,
  kWrite = 11,
  kMkdir = 12,
  kRm = 13,
  kSetPerms = 14,
  kWatchEvent = 15,
  kError = 16,
  kIsDomainIntroduced = 17,
  kResume = 18,
  kSetTarget = 19,
  kResetWatches = 21,
  kDirectoryPart = 22,
};

// struct xsd_sockmsg, host byte order (the socket and the ring both carry native endianness).
struct XsMsgHeader {
  uint32_t type;
  uint32_t req_id;
  uint32_t tx_id;
  uint32_t len;
};
static_assert(sizeof(XsMsgHeader) == 16);

inline constexpr size_t kXsPayloadMax = 4096;  // XENSTORE_PAYLOAD_MAX
inline constexpr size_t kXsAbsPathMax = 3072;  // XENSTORE_ABS_PATH_MAX

}  // namespace krata::xen::abi
