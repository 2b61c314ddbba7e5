#include "oci/pack/sqfs_util.h"

#include <sqfs/error.h>
#include <sqfs/io.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "base/eintr.h"

namespace krata::oci::pack {

namespace {

// sqfs_file_t must be the first member: libsquashfs passes the base pointer back to us.
struct FdFile {
  sqfs_file_t base;
  int fd;
  bool read_only;
  sqfs_u64 size;
};
static_assert(std::is_standard_layout_v<FdFile>);

FdFile* Self(sqfs_file_t* f) { return reinterpret_cast<FdFile*>(f); }
const FdFile* Self(const sqfs_file_t* f) { return reinterpret_cast<const FdFile*>(f); }

int ReadAt(sqfs_file_t* f, sqfs_u64 offset, void* buffer, size_t size) {
  FdFile* self = Self(f);
  if (offset > self->size || size > self->size - offset) return SQFS_ERROR_OUT_OF_BOUNDS;
  auto* p = static_cast<char*>(buffer);
  while (size > 0) {
    ssize_t n = RetryEintr([&] { return pread(self->fd, p, size, static_cast<off_t>(offset)); });
    if (n <= 0) return SQFS_ERROR_IO;
    p += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<sqfs_u64>(n);
  }
  return 0;
}

int WriteAt(sqfs_file_t* f, sqfs_u64 offset, const void* buffer, size_t size) {
  FdFile* self = Self(f);
  if (self->read_only) return SQFS_ERROR_IO;
  const auto* p = static_cast<const char*>(buffer);
  sqfs_u64 end = offset + size;
  while (size > 0) {
    ssize_t n = RetryEintr([&] { return pwrite(self->fd, p, size, static_cast<off_t>(offset)); });
    if (n <= 0) return SQFS_ERROR_IO;
    p += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<sqfs_u64>(n);
  }
  if (end > self->size) self->size = end;
  return 0;
}

sqfs_u64 GetSize(const sqfs_file_t* f) { return Self(f)->size; }

int Truncate(sqfs_file_t* f, sqfs_u64 size) {
  FdFile* self = Self(f);
  if (self->read_only) return SQFS_ERROR_IO;
  if (RetryEintr([&] { return ftruncate(self->fd, static_cast<off_t>(size)); }) != 0)
    return SQFS_ERROR_IO;
  self->size = size;
  return 0;
}

void Destroy(sqfs_object_t* obj) { std::free(obj); }

}  // namespace

SqfsPtr<sqfs_file_t> MakeFdFile(int fd, bool read_only) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return nullptr;
  auto* self = static_cast<FdFile*>(std::calloc(1, sizeof(FdFile)));
  if (self == nullptr) return nullptr;
  self->base.base.destroy = Destroy;
  self->base.base.copy = nullptr;  // never copied: we run no readers on copies
  self->base.read_at = ReadAt;
  self->base.write_at = WriteAt;
  self->base.get_size = GetSize;
  self->base.truncate = Truncate;
  self->fd = fd;
  self->read_only = read_only;
  self->size = static_cast<sqfs_u64>(st.st_size);
  return SqfsPtr<sqfs_file_t>(&self->base);
}

Error SqfsError(std::string_view op, int code) {
  const char* what = "unknown error";
  switch (code) {
    case SQFS_ERROR_ALLOC:
      what = "out of memory";
      break;
    case SQFS_ERROR_IO:
      what = "I/O error";
      break;
    case SQFS_ERROR_COMPRESSOR:
      what = "compressor error";
      break;
    case SQFS_ERROR_INTERNAL:
      what = "internal error";
      break;
    case SQFS_ERROR_CORRUPTED:
      what = "corrupted data";
      break;
    case SQFS_ERROR_UNSUPPORTED:
      what = "unsupported";
      break;
    case SQFS_ERROR_OVERFLOW:
      what = "numeric overflow";
      break;
    case SQFS_ERROR_OUT_OF_BOUNDS:
      what = "out of bounds";
      break;
    case SQFS_ERROR_NOT_DIR:
      what = "not a directory";
      break;
    case SQFS_ERROR_NO_ENTRY:
      what = "no such entry";
      break;
    case SQFS_ERROR_ARG_INVALID:
      what = "invalid argument";
      break;
    case SQFS_ERROR_SEQUENCE:
      what = "call out of sequence";
      break;
    default:
      break;
  }
  return Error::Invalid(op, what + std::string(" (libsquashfs ") + std::to_string(code) + ")");
}

}  // namespace krata::oci::pack
