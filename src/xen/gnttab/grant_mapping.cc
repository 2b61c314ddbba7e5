#include "xen/gnttab/gnttab.h"

namespace krata::xen::gnttab {

GrantMapping& GrantMapping::operator=(GrantMapping&& o) noexcept {
  if (this != &o) {
    reset();
    owner_ = std::exchange(o.owner_, nullptr);
    index_ = std::exchange(o.index_, 0);
    addr_ = std::exchange(o.addr_, nullptr);
    pages_ = std::exchange(o.pages_, 0);
    access_ = o.access_;
  }
  return *this;
}

Status GrantMapping::SetUnmapNotify(const UnmapNotify& notify) {
  constexpr std::string_view kOp = "grant unmap notify";
  if (owner_ == nullptr) return Error::Invalid(kOp, "no mapping");
  if (!notify.clear_byte.has_value() && !notify.event_port.has_value()) {
    return Error::Invalid(kOp, "neither a byte to clear nor a port to notify");
  }
  if (notify.clear_byte.has_value()) {
    if (*notify.clear_byte >= size()) {
      return Error::Invalid(kOp, "byte " + std::to_string(*notify.clear_byte) + " is outside the " +
                                     std::to_string(size()) + "-byte mapping");
    }
    // The kernel clears the byte through our mapping of the page, which must be writable.
    if (access_ != Access::kReadWrite) return Error::Invalid(kOp, "mapping is read-only");
  }
  return owner_->SetUnmapNotify(index_, addr_, notify);
}

void GrantMapping::reset() {
  if (owner_ == nullptr) return;
  MappingOwner* owner = std::exchange(owner_, nullptr);
  owner->ReleaseMapping(std::exchange(index_, 0), std::exchange(addr_, nullptr),
                        std::exchange(pages_, 0));
}

}  // namespace krata::xen::gnttab
