#include "oci/pack/merge_tree.h"

#include <algorithm>

#include "oci/pack/path.h"

namespace krata::oci::pack {

namespace {

Error EntryError(uint32_t layer, const LayerEntry& e, std::string msg) {
  return Error::Invalid("merge layers", std::move(msg))
      .With("layer " + std::to_string(layer) + " '" + e.path + "'");
}

void CopyMetadata(const LayerEntry& e, Inode& n) {
  n.mode = e.mode & 07777;
  n.uid = e.uid;
  n.gid = e.gid;
  n.mtime = e.mtime;
  n.xattrs = e.xattrs;
}

}  // namespace

MergeTree::MergeTree(uint64_t max_entries) : max_entries_(max_entries) {
  root_.inode = std::make_shared<Inode>();
}

const Dentry* MergeTree::Find(std::string_view path) const {
  const Dentry* d = &root_;
  size_t pos = 0;
  while (pos < path.size()) {
    if (!d->is_dir()) return nullptr;
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    auto it = d->children.find(path.substr(pos, slash - pos));
    if (it == d->children.end()) return nullptr;
    d = it->second.get();
    pos = slash + 1;
  }
  return d;
}

Dentry* MergeTree::FindMutable(std::string_view path) {
  return const_cast<Dentry*>(std::as_const(*this).Find(path));
}

uint64_t MergeTree::CountSubtree(const Dentry& d) {
  uint64_t n = 1;
  for (const auto& [name, child] : d.children) n += CountSubtree(*child);
  return n;
}

void MergeTree::Remove(Dentry& parent, std::string_view name) {
  auto it = parent.children.find(name);
  if (it == parent.children.end()) return;
  entries_ -= CountSubtree(*it->second);
  parent.children.erase(it);
}

Result<Dentry*> MergeTree::EnsureParent(std::string_view parent) {
  Dentry* d = &root_;
  size_t pos = 0;
  while (pos < parent.size()) {
    size_t slash = parent.find('/', pos);
    if (slash == std::string_view::npos) slash = parent.size();
    std::string_view name = parent.substr(pos, slash - pos);
    pos = slash + 1;
    auto it = d->children.find(name);
    if (it == d->children.end()) {
      if (entries_ >= max_entries_) return Error::Invalid("merge layers", "too many entries");
      auto dir = std::make_unique<Dentry>();
      dir->inode = std::make_shared<Inode>();  // implicit: 0755 root:root mtime 0
      it = d->children.emplace(std::string(name), std::move(dir)).first;
      ++entries_;
    } else if (!it->second->is_dir()) {
      // Never resolve through a symlink (or into a file): refuse instead.
      return Error::Invalid("merge layers", "parent '" + std::string(parent.substr(0, slash)) +
                                                "' is a " + EntryTypeName(it->second->inode->type));
    }
    d = it->second.get();
  }
  return d;
}

Status MergeTree::ApplyLayer(uint32_t layer, const std::vector<LayerEntry>& entries) {
  // Markers first: they only ever see lower layers (layer.md, "Whiteouts").
  for (const LayerEntry& e : entries) {
    if (e.type == EntryType::kWhiteout) {
      auto [parent, name] = SplitParent(e.path);
      Dentry* p = FindMutable(parent);
      if (p != nullptr && p->is_dir()) Remove(*p, name);
    } else if (e.type == EntryType::kOpaque) {
      Dentry* d = FindMutable(e.path);
      if (d != nullptr && d->is_dir()) {
        entries_ -= CountSubtree(*d) - 1;
        d->children.clear();
      }
    }
  }
  for (const LayerEntry& e : entries) {
    if (e.type == EntryType::kWhiteout || e.type == EntryType::kOpaque) continue;
    TRY(ApplyMember(layer, e));
  }
  return {};
}

Status MergeTree::ApplyMember(uint32_t layer, const LayerEntry& e) {
  if (e.path.empty()) {
    // The root stays a directory whatever the layer says (umoci CVE-2021-29136).
    if (e.type != EntryType::kDirectory) {
      return EntryError(layer, e, std::string("root entry is a ") + EntryTypeName(e.type));
    }
    CopyMetadata(e, *root_.inode);
    return {};
  }
  std::shared_ptr<Inode> inode;
  if (e.type == EntryType::kHardlink) {
    // Resolve before touching the destination: the target may live inside it.
    const Dentry* target = Find(e.link_target);
    if (target == nullptr) {
      return EntryError(layer, e, "hardlink target '" + e.link_target + "' does not exist");
    }
    if (target->is_dir()) {
      return EntryError(layer, e, "hardlink target '" + e.link_target + "' is a directory");
    }
    inode = target->inode;
  }
  auto [parent_path, name] = SplitParent(e.path);
  Result<Dentry*> parent = EnsureParent(parent_path);
  if (!parent.has_value()) return std::move(parent.error()).With("layer " + std::to_string(layer));
  Dentry& p = **parent;
  auto it = p.children.find(name);

  if (e.type == EntryType::kDirectory && it != p.children.end() && it->second->is_dir()) {
    CopyMetadata(e, *it->second->inode);
    return {};
  }
  if (e.type == EntryType::kHardlink && it != p.children.end() && it->second->inode == inode) {
    return {};  // already this inode (a link onto itself)
  }
  if (!inode) {
    inode = std::make_shared<Inode>();
    inode->type = e.type;
    CopyMetadata(e, *inode);
    switch (e.type) {
      case EntryType::kRegular:
        inode->size = e.size;
        inode->layer = layer;
        inode->ordinal = e.ordinal;
        break;
      case EntryType::kSymlink:
        inode->symlink_target = e.link_target;
        break;
      case EntryType::kCharDevice:
      case EntryType::kBlockDevice:
        inode->rdev_major = e.rdev_major;
        inode->rdev_minor = e.rdev_minor;
        break;
      default:
        break;
    }
  }
  if (it != p.children.end()) {
    entries_ -= CountSubtree(*it->second);
    it->second->children.clear();
    it->second->inode = std::move(inode);
    ++entries_;
    return {};
  }
  if (entries_ >= max_entries_) return EntryError(layer, e, "too many entries");
  auto d = std::make_unique<Dentry>();
  d->inode = std::move(inode);
  p.children.emplace(std::string(name), std::move(d));
  ++entries_;
  return {};
}

void MergeTree::Freeze() {
  inode_count_ = 0;
  files_.clear();
  // Reset, then count names per inode; the first visit assigns the id.
  std::function<void(const Dentry&)> reset = [&](const Dentry& d) {
    d.inode->nlink = 0;
    for (const auto& [name, c] : d.children) reset(*c);
  };
  reset(root_);
  std::function<void(const Dentry&)> visit = [&](const Dentry& d) {
    Inode& n = *d.inode;
    if (n.nlink++ == 0) {
      n.id = inode_count_++;
      if (n.type == EntryType::kRegular) files_.push_back(&n);
    }
    for (const auto& [name, c] : d.children) visit(*c);
  };
  visit(root_);
  std::sort(files_.begin(), files_.end(), [](const Inode* a, const Inode* b) {
    return a->layer != b->layer ? a->layer < b->layer : a->ordinal < b->ordinal;
  });
}

std::vector<DataSource> MergeTree::DataSources(uint32_t layer) const {
  std::vector<DataSource> out;
  auto lo = std::lower_bound(files_.begin(), files_.end(), layer,
                             [](const Inode* n, uint32_t l) { return n->layer < l; });
  for (auto it = lo; it != files_.end() && (*it)->layer == layer; ++it) {
    out.push_back(DataSource{(*it)->ordinal, *it});
  }
  return out;
}

void MergeTree::Walk(const std::function<void(const std::string&, const Dentry&)>& fn) const {
  std::string path;
  std::function<void(const Dentry&)> rec = [&](const Dentry& d) {
    for (const auto& [name, c] : d.children) {
      size_t old = path.size();
      if (!path.empty()) path.push_back('/');
      path += name;
      fn(path, *c);
      rec(*c);
      path.resize(old);
    }
  };
  rec(root_);
}

}  // namespace krata::oci::pack
