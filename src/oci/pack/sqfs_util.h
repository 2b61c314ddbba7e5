#pragma once
// Glue between libsquashfs (squashfs-tools-ng 1.2, <sqfs/*.h>) and our types: an fd-backed
// sqfs_file_t, an owning pointer for sqfs objects, and error mapping.

#include <sqfs/predef.h>

#include <memory>
#include <string_view>

#include "base/error.h"

namespace krata::oci::pack {

struct SqfsDestroy {
  void operator()(void* obj) const { sqfs_destroy(obj); }
};
template <typename T>
using SqfsPtr = std::unique_ptr<T, SqfsDestroy>;

// A sqfs_file_t over a borrowed fd with pread/pwrite (no path is ever reopened). The fd must
// outlive the object. Returns nullptr on allocation failure.
SqfsPtr<sqfs_file_t> MakeFdFile(int fd, bool read_only);

// Maps an SQFS_ERROR code to an Error naming op.
Error SqfsError(std::string_view op, int code);

}  // namespace krata::oci::pack
