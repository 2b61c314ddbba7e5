#pragma once
// What the workload runs, from the image config and the launch overrides, following docker's
// rules (image-spec config.md; `docker run` semantics for overrides). Pure functions.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "zone/config/launch_config.h"

namespace krata::zone {

inline constexpr std::string_view kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
inline constexpr size_t kMaxArgs = 4096;
inline constexpr size_t kMaxEnv = 4096;

// Entrypoint + (override args if set, else Cmd); empty -> {"/bin/sh"}. Error if an argument
// holds a NUL (execve would cut it) or there are more than kMaxArgs.
Result<std::vector<std::string>> BuildArgv(const ImageProcess& image,
                                           const ProcessOverride& process);

// Image Env overlaid by the override env (a key keeps its first position, last value wins),
// then PATH (kDefaultPath), HOME (home), TERM=linux when unset, and KRATA_ZONE=1 always.
// Entries without '=' or with an empty key are dropped with a note in *dropped; entries with
// a NUL are an Error.
Result<std::vector<std::string>> MergeEnv(const std::vector<std::string>& image_env,
                                          const std::vector<std::string>& override_env,
                                          std::string_view home,
                                          std::vector<std::string>* dropped = nullptr);

// The value of key in env (the first entry with that key), or nullopt.
std::optional<std::string_view> LookupEnv(const std::vector<std::string>& env,
                                          std::string_view key);

// Override, else image WorkingDir, else "/". A relative directory is taken from "/" (docker
// refuses those; images in the wild have them). Error on NUL.
Result<std::string> ChooseWorkingDir(const ImageProcess& image, const ProcessOverride& process);

// Override user if set, else the image's.
std::string ChooseUser(const ImageProcess& image, const ProcessOverride& process);

// The exit code a shell reports when exec fails: 127 not found, 126 found but not runnable.
int ExecFailureExitCode(int errno_value);

}  // namespace krata::zone
