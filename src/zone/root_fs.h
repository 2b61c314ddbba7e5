#pragma once
// File access inside the workload's root (/newroot) from PID 1, which stays outside it. The
// image is untrusted: its symlinks (say /etc/hosts -> /init) must resolve inside the new root
// as they would after chroot, never against PID 1's own root. openat2(RESOLVE_IN_ROOT,
// Linux 5.6) does exactly that.

#include <string>
#include <string_view>

#include "base/result.h"
#include "base/unique_handle.h"

namespace krata::zone {

// Opens path (absolute or relative, read as if root_fd were "/") with flags | O_CLOEXEC.
Result<UniqueFd> OpenInRoot(int root_fd, std::string_view path, int flags, int mode = 0);

// Reads at most max_bytes of a regular file in the root; a longer file is cut (the caller's
// parser is bounded anyway). ENOENT is returned as an Error with that errno.
Result<std::string> ReadFileInRoot(int root_fd, std::string_view path, size_t max_bytes);

// Replaces <root>/etc/<name> with a regular file holding content (mode 0644), creating /etc
// (0755) if missing. A symlink in place of the file is removed first, not followed; a
// symlinked /etc is followed inside the root.
Status WriteEtcFile(int root_fd, std::string_view name, std::string_view content);

// mkdir -p (mode 0755) relative to dir_fd, each component resolved inside dir_fd's root.
Status MkdirAllInRoot(int root_fd, std::string_view path);

// execvp's search, done inside the root: a name with '/' is returned as is; otherwise each
// PATH entry is tried for a regular file with an execute bit. Relative entries (and empty
// ones, meaning ".") are taken from the root, not the working directory.
// ENOENT: nothing found; EACCES: only non-executable matches (a shell's 127 vs 126).
Result<std::string> FindExecutable(int root_fd, std::string_view name, std::string_view path);

}  // namespace krata::zone
