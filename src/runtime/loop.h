#pragma once
// Loop devices set up with the kernel's own ioctls (linux/loop.h), no losetup. A zone's image
// and config files reach the guest as read-only loop devices served by dom0's blkback.
//
// Attach: LOOP_CTL_GET_FREE on /dev/loop-control, then LOOP_CONFIGURE (Linux 5.8+) with the
// backing fd, LO_FLAGS_READ_ONLY and LO_FLAGS_AUTOCLEAR, falling back to LOOP_SET_FD +
// LOOP_SET_STATUS64 on older kernels. Another process may take the free device between the
// two calls (EBUSY): we ask for a new one. AUTOCLEAR means the kernel detaches the device when
// its last opener (us, then blkback) closes it, so a crashed daemon leaks nothing for long.

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_handle.h"

namespace krata::runtime {

class LoopDevice {
 public:
  // Attaches `file` to a free loop device. read_only: LO_FLAGS_READ_ONLY (the guest cannot
  // write through blkback either: its mode is "r").
  static Result<LoopDevice> Attach(const std::string& file, bool read_only = true);

  LoopDevice() = default;
  ~LoopDevice() { (void)Detach(); }
  LoopDevice(LoopDevice&& o) noexcept = default;
  LoopDevice& operator=(LoopDevice&& o) noexcept;

  bool attached() const { return static_cast<bool>(fd_); }
  int number() const { return number_; }
  std::string path() const { return "/dev/loop" + std::to_string(number_); }
  uint32_t major() const { return major_; }
  uint32_t minor() const { return minor_; }

  // LOOP_CLR_FD, then close. While someone else (blkback) still has it open the kernel only
  // marks it autoclear; it goes away when they close it. Idempotent.
  Status Detach();

 private:
  UniqueFd fd_;
  int number_ = -1;
  uint32_t major_ = 0;
  uint32_t minor_ = 0;
};

// Loop devices (numbers) whose backing file is `file`, read from
// <sys_block>/loopN/loop/backing_file: cleanup after a crash. `file` is canonicalised first;
// a backing file deleted since is listed by the kernel with " (deleted)" and still matches.
Result<std::vector<int>> FindLoopsByBackingFile(const std::string& file,
                                                const std::string& sys_block = "/sys/block");

// Detaches /dev/loop<number> (LOOP_CLR_FD); a device that is already free is not an error.
Status DetachLoop(int number);

}  // namespace krata::runtime
