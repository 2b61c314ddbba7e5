#include "xen/launch/kernel_cache.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "base/file.h"

namespace krata::xen::launch {
namespace {

Result<std::string> Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) {
    return Error::Invalid("sha256", "OpenSSL digest failed");
  }
  std::string hex;
  static constexpr char kDigits[] = "0123456789abcdef";
  for (unsigned int i = 0; i < len; ++i) {
    hex += kDigits[md[i] >> 4];
    hex += kDigits[md[i] & 15];
  }
  return hex;
}

Status WriteAtomically(const std::string& path, std::span<const std::byte> data) {
  std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  {
    UniqueFd fd = TRY(OpenFile(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600));
    Status s = WriteAll(fd.get(), AsChars(data));
    if (s.has_value() && ::fsync(fd.get()) != 0) s = Error::FromErrno("fsync", errno, tmp);
    if (!s.has_value()) {
      ::unlink(tmp.c_str());
      return s;
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return Error::FromErrno("rename", e, path);
  }
  return {};
}

}  // namespace

Status LoadKernelFile(const std::string& path, const std::string& cache_dir, KernelFile& out) {
  std::string file = TRY(ReadFile(path, 1u << 30));
  std::string entry;
  // A plain ELF needs no decompression, so hashing it would only cost time.
  const bool is_elf = file.size() >= 4 && file.compare(0, 4, "\x7f" "ELF") == 0;
  if (!cache_dir.empty() && !is_elf) {
    entry = cache_dir + "/" + TRY(Sha256Hex(file)) + ".elf";
    Result<std::string> cached = ReadFile(entry, 1u << 30);
    if (cached.has_value()) {
      out.bytes = std::move(*cached);
      Result<boot::LoadedKernel> k = boot::LoadKernel(AsBytes(out.bytes));
      if (k.has_value() && k->container == boot::KernelContainer::kElf) {
        out.kernel = std::move(*k);
        out.from_cache = true;
        return {};
      }
      ::unlink(entry.c_str());  // corrupt or foreign: rebuild it below
    }
  }
  out.bytes = std::move(file);
  Result<boot::LoadedKernel> k = boot::LoadKernel(AsBytes(out.bytes));
  if (!k.has_value()) return std::move(k.error()).With(path);
  out.kernel = std::move(*k);
  if (!entry.empty() && !out.kernel.storage.empty()) {
    // Best effort: a read-only or full cache directory only costs the next load time.
    std::error_code ec;
    std::filesystem::create_directories(cache_dir, ec);
    if (!ec) {
      ::chmod(cache_dir.c_str(), 0700);
      (void)WriteAtomically(entry, out.kernel.storage);
    }
  }
  return {};
}

}  // namespace krata::xen::launch
