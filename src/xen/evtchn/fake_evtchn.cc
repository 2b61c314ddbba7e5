#include "xen/evtchn/fake_evtchn.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <deque>
#include <map>
#include <set>

#include "base/unique_handle.h"

namespace krata::xen::evtchn {
namespace {

constexpr uint32_t kMaxPorts = 4096;           // EVTCHN_2L_NR_CHANNELS on 64-bit guests
constexpr uint32_t kNrVirqs = 24;              // NR_VIRQS (xen.h)
constexpr DomId kDomidFirstReserved = 0x7FF0;  // DOMID_FIRST_RESERVED (xen.h)
constexpr size_t kMaxPortsPerRead = 4096 / 4;  // the Linux driver's one page per read

class FakeHandle;

}  // namespace

struct FakeEventChannelHub::State {
  enum class Kind { kUnbound, kInterdomain, kVirq };
  struct Channel {
    Kind kind = Kind::kUnbound;
    DomId remote_dom = 0;         // kUnbound: who may bind; kInterdomain: the peer
    Port remote_port;             // kInterdomain
    uint32_t virq = 0;            // kVirq
    FakeHandle* owner = nullptr;  // null for a guest's (handle-less) port
    bool enabled = true;          // cleared when queued to the owner, set again by Unmask
    bool pending = false;         // fired while disabled
    int guest_events = 0;         // deliveries to a handle-less port
  };

  std::mutex mu;
  std::map<DomId, std::map<uint32_t, Channel>> domains;
  int fail_next = 0;

  Channel* Find(DomId dom, Port port) {
    auto d = domains.find(dom);
    if (d == domains.end()) return nullptr;
    auto c = d->second.find(port.value);
    return c == d->second.end() ? nullptr : &c->second;
  }

  Result<Port> Alloc(DomId dom, const Channel& ch) {
    auto& ports = domains[dom];
    for (uint32_t p = 1; p < kMaxPorts; ++p) {  // port 0 is reserved
      if (ports.count(p) == 0) {
        ports.emplace(p, ch);
        return Port{p};
      }
    }
    return Error::FromErrno("evtchn alloc", ENOSPC, "domain " + std::to_string(dom));
  }

  Status TakeFailure(std::string_view op) {
    if (fail_next == 0) return {};
    return Error::FromErrno(op, std::exchange(fail_next, 0), "injected");
  }

  void Deliver(DomId dom, Port port);
  Status SendLocked(DomId dom, Port port);
  Result<Port> BindInterdomainLocked(DomId dom, DomId remote, Port remote_port, FakeHandle* owner);
  Status CloseLocked(DomId dom, Port port);
};

namespace {

using State = FakeEventChannelHub::State;

class FakeHandle final : public EventChannels {
 public:
  FakeHandle(std::shared_ptr<State> state, DomId self, UniqueFd efd)
      : state_(std::move(state)), self_(self), efd_(std::move(efd)) {}

  ~FakeHandle() override {
    // Closing the device unbinds everything bound through it.
    std::lock_guard lock(state_->mu);
    for (uint32_t port : std::set<uint32_t>(ports_)) (void)state_->CloseLocked(self_, Port{port});
    ports_.clear();
  }

  Result<Port> BindInterdomain(DomId remote_domid, Port remote_port) override {
    std::lock_guard lock(state_->mu);
    TRY(state_->TakeFailure("ioctl(EVTCHN_BIND_INTERDOMAIN)"));
    if (restrict_.has_value() && *restrict_ != remote_domid) {
      return Error::FromErrno("ioctl(EVTCHN_BIND_INTERDOMAIN)", EACCES, "restricted handle");
    }
    return state_->BindInterdomainLocked(self_, remote_domid, remote_port, this);
  }

  Result<Port> BindUnbound(DomId remote_domid) override {
    std::lock_guard lock(state_->mu);
    TRY(state_->TakeFailure("ioctl(EVTCHN_BIND_UNBOUND_PORT)"));
    if (restrict_.has_value()) {
      return Error::FromErrno("ioctl(EVTCHN_BIND_UNBOUND_PORT)", EACCES, "restricted handle");
    }
    State::Channel ch;
    ch.remote_dom = remote_domid;
    ch.owner = this;
    Port port = TRY(state_->Alloc(self_, ch));
    ports_.insert(port.value);
    return port;
  }

  Result<Port> BindVirq(uint32_t virq) override {
    std::lock_guard lock(state_->mu);
    TRY(state_->TakeFailure("ioctl(EVTCHN_BIND_VIRQ)"));
    if (restrict_.has_value()) {
      return Error::FromErrno("ioctl(EVTCHN_BIND_VIRQ)", EACCES, "restricted handle");
    }
    if (virq >= kNrVirqs) return Error::FromErrno("ioctl(EVTCHN_BIND_VIRQ)", EINVAL);
    for (const auto& [p, ch] : state_->domains[self_]) {
      if (ch.kind == State::Kind::kVirq && ch.virq == virq) {
        return Error::FromErrno("ioctl(EVTCHN_BIND_VIRQ)", EEXIST);
      }
    }
    State::Channel ch;
    ch.kind = State::Kind::kVirq;
    ch.virq = virq;
    ch.owner = this;
    Port port = TRY(state_->Alloc(self_, ch));
    ports_.insert(port.value);
    return port;
  }

  Status Unbind(Port port) override {
    std::lock_guard lock(state_->mu);
    TRY(state_->TakeFailure("ioctl(EVTCHN_UNBIND)"));
    if (ports_.count(port.value) == 0) {
      return Error::FromErrno("ioctl(EVTCHN_UNBIND)", ENOTCONN,
                              "port " + std::to_string(port.value));
    }
    return state_->CloseLocked(self_, port);
  }

  Status Notify(Port port) override {
    std::lock_guard lock(state_->mu);
    TRY(state_->TakeFailure("ioctl(EVTCHN_NOTIFY)"));
    if (ports_.count(port.value) == 0) {
      return Error::FromErrno("ioctl(EVTCHN_NOTIFY)", ENOTCONN,
                              "port " + std::to_string(port.value));
    }
    return state_->SendLocked(self_, port);
  }

  int fd() const override { return efd_.get(); }

  Result<std::vector<Port>> ReadPending() override {
    std::lock_guard lock(state_->mu);
    std::vector<Port> out;
    while (!queue_.empty() && out.size() < kMaxPortsPerRead) {
      out.push_back(queue_.front());
      queue_.pop_front();
    }
    if (!out.empty() && queue_.empty()) Drain();
    return out;
  }

  Status UnmaskAll(std::span<const Port> ports) override {
    std::lock_guard lock(state_->mu);
    for (Port port : ports) {
      if (ports_.count(port.value) == 0) continue;  // the driver ignores foreign ports
      State::Channel* ch = state_->Find(self_, port);
      if (ch == nullptr || ch->enabled) continue;
      ch->enabled = true;
      if (std::exchange(ch->pending, false)) state_->Deliver(self_, port);
    }
    return {};
  }

  Status Reset() override {
    std::lock_guard lock(state_->mu);
    if (!queue_.empty()) Drain();
    queue_.clear();
    return {};
  }

  Status RestrictToDomain(DomId domid) override {
    std::lock_guard lock(state_->mu);
    TRY(state_->TakeFailure("ioctl(EVTCHN_RESTRICT_DOMID)"));
    if (restrict_.has_value()) return Error::FromErrno("ioctl(EVTCHN_RESTRICT_DOMID)", EACCES);
    if (domid == 0 || domid >= kDomidFirstReserved) {
      return Error::FromErrno("ioctl(EVTCHN_RESTRICT_DOMID)", EINVAL);
    }
    restrict_ = domid;
    return {};
  }

  // Called with the state lock held.
  void Enqueue(Port port) {
    if (queue_.empty()) {
      uint64_t one = 1;
      if (::write(efd_.get(), &one, sizeof one) != sizeof one) std::abort();
    }
    queue_.push_back(port);
  }
  void Forget(Port port) { ports_.erase(port.value); }
  void Adopt(Port port) { ports_.insert(port.value); }

 private:
  // Resets the eventfd counter to 0: the fd stops being readable.
  void Drain() {
    uint64_t count = 0;
    if (::read(efd_.get(), &count, sizeof count) != sizeof count) std::abort();
  }

  std::shared_ptr<State> state_;
  const DomId self_;
  UniqueFd efd_;
  // Guarded by state_->mu.
  std::deque<Port> queue_;
  std::set<uint32_t> ports_;
  std::optional<DomId> restrict_;
};

}  // namespace

void State::Deliver(DomId dom, Port port) {
  Channel* ch = Find(dom, port);
  if (ch == nullptr) return;
  if (ch->owner == nullptr) {
    ++ch->guest_events;
  } else if (ch->enabled) {
    ch->enabled = false;
    ch->owner->Enqueue(port);
  } else {
    ch->pending = true;
  }
}

Status State::SendLocked(DomId dom, Port port) {
  Channel* ch = Find(dom, port);
  if (ch == nullptr) return Error::FromErrno("evtchn send", EINVAL);
  switch (ch->kind) {
    case Kind::kInterdomain:
      Deliver(ch->remote_dom, ch->remote_port);
      return {};
    case Kind::kUnbound:
      return {};  // Xen drops it silently
    case Kind::kVirq:
      break;
  }
  return Error::FromErrno("evtchn send", EINVAL);
}

Result<Port> State::BindInterdomainLocked(DomId dom, DomId remote, Port remote_port,
                                          FakeHandle* owner) {
  Channel* rch = Find(remote, remote_port);
  if (rch == nullptr || rch->kind != Kind::kUnbound || rch->remote_dom != dom) {
    return Error::FromErrno(
        "evtchn bind_interdomain", EINVAL,
        "domain " + std::to_string(remote) + " port " + std::to_string(remote_port.value));
  }
  Channel ch;
  ch.kind = Kind::kInterdomain;
  ch.remote_dom = remote;
  ch.remote_port = remote_port;
  ch.owner = owner;
  Port port = TRY(Alloc(dom, ch));  // std::map: rch stays valid
  rch->kind = Kind::kInterdomain;
  rch->remote_dom = dom;
  rch->remote_port = port;
  if (owner != nullptr) owner->Adopt(port);
  // Xen conservatively marks the new local port pending: events sent to the unbound port
  // before the bind would otherwise be lost.
  Deliver(dom, port);
  return port;
}

Status State::CloseLocked(DomId dom, Port port) {
  Channel* ch = Find(dom, port);
  if (ch == nullptr) return Error::FromErrno("evtchn close", EINVAL);
  if (ch->kind == Kind::kInterdomain) {
    Channel* peer = Find(ch->remote_dom, ch->remote_port);
    if (peer != nullptr && peer->kind == Kind::kInterdomain && peer->remote_dom == dom &&
        peer->remote_port == port) {
      // The peer goes back to unbound, bindable again by us (evtchn_close in Xen).
      peer->kind = Kind::kUnbound;
      peer->remote_port = Port{};
    }
  }
  if (ch->owner != nullptr) ch->owner->Forget(port);
  domains[dom].erase(port.value);
  return {};
}

FakeEventChannelHub::FakeEventChannelHub() : state_(std::make_shared<State>()) {}
FakeEventChannelHub::~FakeEventChannelHub() = default;

std::unique_ptr<EventChannels> FakeEventChannelHub::Open(DomId self) {
  int efd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (efd < 0) std::abort();  // tests only: no fds left is a broken test environment
  return std::make_unique<FakeHandle>(state_, self, UniqueFd(efd));
}

Result<Port> FakeEventChannelHub::AllocUnbound(DomId dom, DomId remote) {
  std::lock_guard lock(state_->mu);
  State::Channel ch;
  ch.remote_dom = remote;
  return state_->Alloc(dom, ch);
}

Result<Port> FakeEventChannelHub::BindInterdomain(DomId dom, DomId remote, Port remote_port) {
  std::lock_guard lock(state_->mu);
  return state_->BindInterdomainLocked(dom, remote, remote_port, nullptr);
}

Status FakeEventChannelHub::Send(DomId dom, Port port) {
  std::lock_guard lock(state_->mu);
  return state_->SendLocked(dom, port);
}

Status FakeEventChannelHub::Close(DomId dom, Port port) {
  std::lock_guard lock(state_->mu);
  return state_->CloseLocked(dom, port);
}

void FakeEventChannelHub::RaiseVirq(DomId dom, uint32_t virq) {
  std::lock_guard lock(state_->mu);
  std::vector<Port> fired;
  for (const auto& [p, ch] : state_->domains[dom]) {
    if (ch.kind == State::Kind::kVirq && ch.virq == virq) fired.push_back(Port{p});
  }
  for (Port p : fired) state_->Deliver(dom, p);
}

int FakeEventChannelHub::TakeGuestEvents(DomId dom, Port port) {
  std::lock_guard lock(state_->mu);
  State::Channel* ch = state_->Find(dom, port);
  return ch == nullptr ? 0 : std::exchange(ch->guest_events, 0);
}

bool FakeEventChannelHub::IsOpen(DomId dom, Port port) {
  std::lock_guard lock(state_->mu);
  return state_->Find(dom, port) != nullptr;
}

std::optional<FakeEventChannelHub::Peer> FakeEventChannelHub::PeerOf(DomId dom, Port port) {
  std::lock_guard lock(state_->mu);
  State::Channel* ch = state_->Find(dom, port);
  if (ch == nullptr || ch->kind != State::Kind::kInterdomain) return std::nullopt;
  return Peer{ch->remote_dom, ch->remote_port};
}

void FakeEventChannelHub::FailNextCall(int errno_value) {
  std::lock_guard lock(state_->mu);
  state_->fail_next = errno_value;
}

}  // namespace krata::xen::evtchn
