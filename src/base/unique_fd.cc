#include <unistd.h>

#include "base/unique_handle.h"

namespace krata {

// Linux releases the descriptor even when close() reports EINTR, so retrying could close
// an unrelated descriptor opened meanwhile by another thread.
void FdTraits::Close(int fd) { ::close(fd); }

}  // namespace krata
