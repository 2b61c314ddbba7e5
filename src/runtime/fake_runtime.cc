#include "runtime/fake_runtime.h"

#include <csignal>

namespace krata::runtime {

Result<DomId> FakeRuntime::Launch(const LaunchRequest& request) {
  std::string output;
  ConsoleOutputFn console;
  Result<DomId> domid = LaunchLocked(request, &output, &console);
  // Scripted guests print before Launch returns, so their output always precedes the exit
  // the daemon sees (a real console delivers a guest's output before its domain dies).
  if (domid.has_value() && !output.empty() && console) console(request.zone_id, output);
  return domid;
}

Result<DomId> FakeRuntime::LaunchLocked(const LaunchRequest& request, std::string* output,
                                        ConsoleOutputFn* console) {
  std::unique_lock<std::mutex> l(mu_);
  *console = console_;
  calls_.push_back("launch " + request.zone_id);
  ChangedLocked();
  launches_[request.zone_id] = request;
  if (fail_next_.has_value()) {
    std::string message = std::move(*fail_next_);
    fail_next_.reset();
    return Error::Invalid("launch", message);
  }
  const std::optional<std::vector<std::string>>& args = request.config.process.args;
  if (args.has_value() && !args->empty() && (*args)[0] == "fail") {
    std::string message;
    for (size_t i = 1; i < args->size(); ++i) message += (i > 1 ? " " : "") + (*args)[i];
    return Error::Invalid("launch", message);
  }
  if (domains_.count(request.zone_id) != 0) {
    return Error::FromErrno("launch", EEXIST, request.zone_id);
  }
  Domain d;
  d.domid = next_domid_++;
  if (args.has_value() && args->size() == 2 && ((*args)[0] == "exit" || (*args)[0] == "kill")) {
    int n = std::atoi((*args)[1].c_str());
    d.shut_down = true;
    d.exit =
        (*args)[0] == "exit" ? ZoneExit{.code = n, .signal = 0} : ZoneExit{.code = 0, .signal = n};
    *output = "fake: " + (*args)[0] + " " + (*args)[1] + "\n";
  }
  DomId domid = d.domid;
  domains_[request.zone_id] = std::move(d);
  return domid;
}

Status FakeRuntime::RequestShutdown(const std::string& zone_id) {
  std::lock_guard<std::mutex> l(mu_);
  calls_.push_back("shutdown " + zone_id);
  auto it = domains_.find(zone_id);
  if (it == domains_.end()) return Error::FromErrno("shutdown", ENOENT, zone_id);
  if (obey_shutdown_ && !it->second.shut_down) {
    it->second.shut_down = true;
    it->second.exit = ZoneExit{.code = 0, .signal = SIGTERM};
  }
  ChangedLocked();
  return {};
}

Status FakeRuntime::Destroy(const std::string& zone_id) {
  std::lock_guard<std::mutex> l(mu_);
  calls_.push_back("destroy " + zone_id);
  domains_.erase(zone_id);
  ChangedLocked();
  return {};
}

Result<std::vector<ZoneDomain>> FakeRuntime::List() {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<ZoneDomain> out;
  for (const auto& [id, d] : domains_) {
    out.push_back(
        ZoneDomain{.domid = d.domid, .zone_id = id, .shut_down = d.shut_down, .exit = d.exit});
  }
  return out;
}

Result<bool> FakeRuntime::WaitForChange(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> l(mu_);
  bool changed = cv_.wait_for(l, timeout, [this] { return generation_ != seen_generation_; });
  seen_generation_ = generation_;
  return changed;
}

void FakeRuntime::SetConsoleHandler(ConsoleOutputFn handler) {
  std::lock_guard<std::mutex> l(mu_);
  console_ = std::move(handler);
}

Status FakeRuntime::WriteConsole(const std::string& zone_id, std::string_view bytes) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = domains_.find(zone_id);
  if (it == domains_.end()) return Error::FromErrno("console write", ENOENT, zone_id);
  it->second.input.append(bytes);
  cv_.notify_all();
  return {};
}

void FakeRuntime::FailNextLaunch(std::string message) {
  std::lock_guard<std::mutex> l(mu_);
  fail_next_ = std::move(message);
}

void FakeRuntime::SetObeyShutdown(bool obey) {
  std::lock_guard<std::mutex> l(mu_);
  obey_shutdown_ = obey;
}

void FakeRuntime::AddDomain(const std::string& zone_id, DomId domid) {
  std::lock_guard<std::mutex> l(mu_);
  Domain d;
  d.domid = domid;
  domains_[zone_id] = std::move(d);
  ChangedLocked();
}

void FakeRuntime::RemoveDomain(const std::string& zone_id) {
  std::lock_guard<std::mutex> l(mu_);
  domains_.erase(zone_id);
  ChangedLocked();
}

void FakeRuntime::Exit(const std::string& zone_id, ZoneExit exit) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = domains_.find(zone_id);
  if (it == domains_.end()) return;
  it->second.shut_down = true;
  it->second.exit = exit;
  ChangedLocked();
}

void FakeRuntime::EmitConsole(const std::string& zone_id, std::string_view bytes) {
  ConsoleOutputFn console;
  {
    std::lock_guard<std::mutex> l(mu_);
    console = console_;
  }
  if (console) console(zone_id, bytes);
}

std::string FakeRuntime::ConsoleInput(const std::string& zone_id) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = domains_.find(zone_id);
  return it == domains_.end() ? std::string() : it->second.input;
}

bool FakeRuntime::WaitForConsoleInput(const std::string& zone_id, std::string_view needle,
                                      std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> l(mu_);
  return cv_.wait_for(l, timeout, [&] {
    auto it = domains_.find(zone_id);
    return it != domains_.end() && it->second.input.find(needle) != std::string::npos;
  });
}

std::vector<std::string> FakeRuntime::Calls() {
  std::lock_guard<std::mutex> l(mu_);
  return calls_;
}

bool FakeRuntime::WaitForCall(const std::string& call, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> l(mu_);
  return cv_.wait_for(l, timeout, [&] {
    for (const std::string& c : calls_) {
      if (c == call) return true;
    }
    return false;
  });
}

std::optional<LaunchRequest> FakeRuntime::LastLaunch(const std::string& zone_id) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = launches_.find(zone_id);
  if (it == launches_.end()) return std::nullopt;
  return it->second;
}

bool FakeRuntime::HasDomain(const std::string& zone_id) {
  std::lock_guard<std::mutex> l(mu_);
  return domains_.count(zone_id) != 0;
}

}  // namespace krata::runtime
