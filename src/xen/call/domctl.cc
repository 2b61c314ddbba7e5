// DomainControl: domctl and sysctl getdomaininfolist (xen/include/public/domctl.h,
// sysctl.h). Semantics from xen/common/domctl.c and libxenctrl's xc_domain.c.

#include <cerrno>
#include <cstring>
#include <string>

#include "xen/abi/hypercall.h"
#include "xen/abi/sysctl.h"
#include "xen/call/domain_control.h"

namespace krata::xen {
namespace {

std::string DomainContext(std::string_view op, DomId domid) {
  return std::string(op) + ": domain " + std::to_string(domid);
}

// Upper bound on EAGAIN reissues of destroydomain; each is a full hypercall that made
// progress on the teardown, so this is generous.
constexpr int kDestroyRetries = 10000;

}  // namespace

DomainInfo DomainInfo::From(const abi::DomctlGetDomainInfo& raw) {
  DomainInfo out;
  out.domid = raw.domain;
  out.dying = (raw.flags & abi::kDominfDying) != 0;
  out.shutdown = (raw.flags & abi::kDominfShutdown) != 0;
  out.paused = (raw.flags & abi::kDominfPaused) != 0;
  out.running = (raw.flags & abi::kDominfRunning) != 0;
  out.blocked = (raw.flags & abi::kDominfBlocked) != 0;
  out.hvm = (raw.flags & abi::kDominfHvmGuest) != 0;
  out.shutdown_reason = (raw.flags >> abi::kDominfShutdownShift) & abi::kDominfShutdownMask;
  out.tot_pages = raw.tot_pages;
  out.max_pages = raw.max_pages;
  out.outstanding_pages = raw.outstanding_pages;
  out.shared_info_frame = raw.shared_info_frame;
  out.nr_online_vcpus = raw.nr_online_vcpus;
  out.max_vcpu_id = raw.max_vcpu_id;
  out.cpu_time_ns = raw.cpu_time;
  std::memcpy(out.handle.data(), raw.handle, out.handle.size());
  return out;
}

Result<uint32_t> DomainControl::DomctlInterfaceVersion() {
  if (domctl_version_) return *domctl_version_;
  HypercallBuffer buf = TRY(privcmd_.AllocBuffer(sizeof(abi::Domctl)));
  auto* op = buf.as<abi::Domctl>();
  for (uint32_t version : abi::kDomctlVersions) {
    std::memset(op, 0, sizeof(*op));
    op->cmd = abi::kDomctlGetDomainInfo;
    op->interface_version = version;
    op->domain = 0;
    Result<long> r = privcmd_.Hypercall(abi::kHypercallDomctl, {buf.address(), 0, 0, 0, 0});
    if (r.has_value()) {
      domctl_version_ = version;
      return version;
    }
    if (r.error().errno_value() != EACCES) {
      return std::move(r.error()).With("domctl interface probe (getdomaininfo on domain 0)");
    }
  }
  return Error::Invalid("domctl",
                        "this hypervisor speaks none of the domctl interface "
                        "versions this build knows (0x15, 0x16); unsupported Xen");
}

Result<HypercallBuffer> DomainControl::NewDomctl(uint32_t cmd, DomId domid) {
  HypercallBuffer buf = TRY(privcmd_.AllocBuffer(sizeof(abi::Domctl)));
  auto* op = buf.as<abi::Domctl>();
  std::memset(op, 0, sizeof(*op));
  op->cmd = cmd;
  op->domain = domid;
  return buf;
}

Result<long> DomainControl::IssueDomctl(HypercallBuffer& buf) {
  buf.as<abi::Domctl>()->interface_version = TRY(DomctlInterfaceVersion());
  return privcmd_.Hypercall(abi::kHypercallDomctl, {buf.address(), 0, 0, 0, 0});
}

Result<DomId> DomainControl::CreateDomain(const CreateDomainConfig& config) {
  const std::string ctx = DomainContext("domctl createdomain", config.domid);
  Result<HypercallBuffer> buf = NewDomctl(abi::kDomctlCreateDomain, config.domid);
  if (!buf.has_value()) return std::move(buf.error()).With(ctx);
  abi::DomctlCreateDomain& c = buf->as<abi::Domctl>()->u.createdomain;
  c.ssidref = config.ssidref;
  std::memcpy(c.handle, config.handle.data(), sizeof(c.handle));
  c.flags = config.flags;
  c.max_vcpus = config.max_vcpus;
  c.max_evtchn_port = config.max_evtchn_port;
  c.max_grant_frames = config.max_grant_frames;
  c.max_maptrack_frames = config.max_maptrack_frames;
  c.grant_opts = config.grant_opts;
  Result<long> r = IssueDomctl(*buf);
  if (!r.has_value()) return std::move(r.error()).With(ctx);
  return buf->as<abi::Domctl>()->domain;  // OUT: the new domid
}

// Domctls whose whole input is the union member `fill` writes.
#define KRATA_SIMPLE_DOMCTL(cmd, name, domid, fill)                \
  do {                                                             \
    const std::string ctx = DomainContext(name, domid);            \
    Result<HypercallBuffer> buf = NewDomctl(cmd, domid);           \
    if (!buf.has_value()) return std::move(buf.error()).With(ctx); \
    abi::Domctl* op = buf->as<abi::Domctl>();                      \
    fill;                                                          \
    Result<long> r = IssueDomctl(*buf);                            \
    if (!r.has_value()) return std::move(r.error()).With(ctx);     \
    return {};                                                     \
  } while (0)

Result<void> DomainControl::SetMaxVcpus(DomId domid, uint32_t max_vcpus) {
  KRATA_SIMPLE_DOMCTL(abi::kDomctlMaxVcpus, "domctl max_vcpus", domid,
                      op->u.max_vcpus.max = max_vcpus);
}

Result<void> DomainControl::SetMaxMem(DomId domid, uint64_t max_kib) {
  KRATA_SIMPLE_DOMCTL(abi::kDomctlMaxMem, "domctl max_mem", domid,
                      op->u.max_mem.max_memkb = max_kib);
}

Result<void> DomainControl::SetAddressSize(DomId domid, uint32_t bits) {
  KRATA_SIMPLE_DOMCTL(abi::kDomctlSetAddressSize, "domctl set_address_size", domid,
                      op->u.address_size.size = bits);
}

Result<void> DomainControl::HypercallInit(DomId domid, Mfn mfn) {
  KRATA_SIMPLE_DOMCTL(abi::kDomctlHypercallInit, "domctl hypercall_init", domid,
                      op->u.hypercall_init.gmfn = mfn);
}

Result<void> DomainControl::Pause(DomId domid) {
  KRATA_SIMPLE_DOMCTL(abi::kDomctlPauseDomain, "domctl pausedomain", domid, (void)op);
}

Result<void> DomainControl::Unpause(DomId domid) {
  KRATA_SIMPLE_DOMCTL(abi::kDomctlUnpauseDomain, "domctl unpausedomain", domid, (void)op);
}

#undef KRATA_SIMPLE_DOMCTL

Result<void> DomainControl::SetVcpuContext(DomId domid, uint32_t vcpu,
                                           const abi::VcpuGuestContext& ctx) {
  const std::string context = DomainContext("domctl setvcpucontext", domid);
  // Xen copies the context from guest memory, so it too lives in a hypercall buffer.
  Result<HypercallBuffer> ctx_buf = privcmd_.AllocBuffer(sizeof(ctx));
  if (!ctx_buf.has_value()) return std::move(ctx_buf.error()).With(context);
  std::memcpy(ctx_buf->data(), &ctx, sizeof(ctx));
  Result<HypercallBuffer> buf = NewDomctl(abi::kDomctlSetVcpuContext, domid);
  if (!buf.has_value()) return std::move(buf.error()).With(context);
  abi::Domctl* op = buf->as<abi::Domctl>();
  op->u.vcpucontext.vcpu = vcpu;
  op->u.vcpucontext.ctxt = ctx_buf->address();
  Result<long> r = IssueDomctl(*buf);
  if (!r.has_value()) return std::move(r.error()).With(context);
  return {};
}

Result<DomainInfo> DomainControl::GetDomainInfo(DomId domid) {
  const std::string ctx = DomainContext("domctl getdomaininfo", domid);
  Result<HypercallBuffer> buf = NewDomctl(abi::kDomctlGetDomainInfo, domid);
  if (!buf.has_value()) return std::move(buf.error()).With(ctx);
  Result<long> r = IssueDomctl(*buf);
  if (!r.has_value()) return std::move(r.error()).With(ctx);
  const abi::Domctl* op = buf->as<abi::Domctl>();
  // Xen before 4.18 reports the next existing domain when `domid` is gone.
  if (op->u.getdomaininfo.domain != domid)
    return Error::FromErrno("domctl getdomaininfo", ESRCH, ctx);
  return DomainInfo::From(op->u.getdomaininfo);
}

Result<void> DomainControl::Destroy(DomId domid) {
  const std::string ctx = DomainContext("domctl destroydomain", domid);
  Result<HypercallBuffer> buf = NewDomctl(abi::kDomctlDestroyDomain, domid);
  if (!buf.has_value()) return std::move(buf.error()).With(ctx);
  for (int attempt = 0;; ++attempt) {
    Result<long> r = IssueDomctl(*buf);
    if (r.has_value()) return {};
    if (r.error().errno_value() != EAGAIN || attempt >= kDestroyRetries) {
      return std::move(r.error()).With(ctx);
    }
  }
}

Result<std::vector<DomainInfo>> DomainControl::ListDomains() {
  constexpr uint32_t kBatch = 64;
  const uint32_t version = TRY(xc_.SysctlInterfaceVersion());
  HypercallBuffer sysctl_buf = TRY(privcmd_.AllocBuffer(sizeof(abi::Sysctl)));
  HypercallBuffer infos = TRY(privcmd_.AllocBuffer(kBatch * sizeof(abi::DomctlGetDomainInfo)));
  auto* op = sysctl_buf.as<abi::Sysctl>();
  const auto* raw = infos.as<const abi::DomctlGetDomainInfo>();
  std::vector<DomainInfo> out;
  uint32_t first = 0;
  while (first < abi::kDomidFirstReserved) {
    std::memset(op, 0, sizeof(*op));
    op->cmd = abi::kSysctlGetDomainInfoList;
    op->interface_version = version;
    op->u.getdomaininfolist.first_domain = static_cast<uint16_t>(first);
    op->u.getdomaininfolist.max_domains = kBatch;
    op->u.getdomaininfolist.buffer = infos.address();
    Result<long> r = privcmd_.Hypercall(abi::kHypercallSysctl, {sysctl_buf.address(), 0, 0, 0, 0});
    if (!r.has_value()) return std::move(r.error()).With("sysctl getdomaininfolist");
    const uint32_t n = op->u.getdomaininfolist.num_domains;
    if (n > kBatch) return Error::Invalid("sysctl getdomaininfolist", "more domains than asked");
    for (uint32_t i = 0; i < n; ++i) out.push_back(DomainInfo::From(raw[i]));
    if (n < kBatch) break;
    first = static_cast<uint32_t>(out.back().domid) + 1;
  }
  return out;
}

}  // namespace krata::xen
