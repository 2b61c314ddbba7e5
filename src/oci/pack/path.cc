#include "oci/pack/path.h"

#include <vector>

namespace krata::oci::pack {

Result<std::string> NormalisePath(std::string_view raw) {
  if (raw.find('\0') != std::string_view::npos) {
    return Error::Invalid("normalise path", "NUL byte in name");
  }
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos <= raw.size()) {
    size_t slash = raw.find('/', pos);
    if (slash == std::string_view::npos) slash = raw.size();
    std::string_view comp = raw.substr(pos, slash - pos);
    pos = slash + 1;
    if (comp.empty() || comp == ".") continue;
    if (comp == "..") {
      // Lexical like Go's filepath.Clean, which Docker and containerd use before their
      // breakout check; climbing above the root is an error, never clamped.
      if (parts.empty()) {
        return Error::Invalid("normalise path", "'..' escapes the root: " + std::string(raw));
      }
      parts.pop_back();
      continue;
    }
    if (comp.size() > kMaxNameLength) {
      return Error::Invalid("normalise path", "component longer than 255 bytes");
    }
    parts.push_back(comp);
  }
  std::string out;
  for (std::string_view p : parts) {
    if (!out.empty()) out.push_back('/');
    out.append(p);
  }
  if (out.size() > kMaxPathLength) {
    return Error::Invalid("normalise path", "path longer than 4095 bytes");
  }
  return out;
}

std::pair<std::string_view, std::string_view> SplitParent(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return {std::string_view(), path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

Result<ClassifiedPath> ClassifyPath(std::string_view normalised) {
  auto [parent, name] = SplitParent(normalised);
  // Directories named like markers: aufs metadata directories are skipped whole; any other
  // ".wh." directory would plant a marker-looking name in the image, so it is refused.
  size_t pos = 0;
  while (pos < parent.size()) {
    size_t slash = parent.find('/', pos);
    if (slash == std::string_view::npos) slash = parent.size();
    std::string_view comp = parent.substr(pos, slash - pos);
    pos = slash + 1;
    if (comp.starts_with(kAufsMetaPrefix)) return ClassifiedPath{PathKind::kAufsMeta, {}};
    if (comp.starts_with(kWhiteoutPrefix)) {
      return Error::Invalid("whiteout", "marker used as a directory: " + std::string(comp));
    }
  }
  if (name == kOpaqueMarker) return ClassifiedPath{PathKind::kOpaque, std::string(parent)};
  if (name.starts_with(kAufsMetaPrefix)) return ClassifiedPath{PathKind::kAufsMeta, {}};
  if (name.starts_with(kWhiteoutPrefix)) {
    std::string_view victim = name.substr(kWhiteoutPrefix.size());
    if (victim.empty() || victim == "." || victim == "..") {
      return Error::Invalid("whiteout", "marker has no valid victim: " + std::string(name));
    }
    std::string target(parent);
    if (!target.empty()) target.push_back('/');
    target.append(victim);
    return ClassifiedPath{PathKind::kWhiteout, std::move(target)};
  }
  return ClassifiedPath{PathKind::kNormal, std::string(normalised)};
}

}  // namespace krata::oci::pack
