#include "oci/pack/erofs_writer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "base/eintr.h"
#include "oci/pack/erofs_format.h"

namespace krata::oci::pack {

namespace {

constexpr uint32_t kBs = erofs::kBlockSize;
constexpr uint64_t kInodeSize = sizeof(erofs::InodeExtended);
constexpr uint32_t kNoBlock = 0xFFFFFFFF;
constexpr size_t kFlushBytes = 1 << 20;

uint64_t RoundUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

template <typename T>
ByteSpan Raw(const T& v) {
  return {reinterpret_cast<const std::byte*>(&v), sizeof v};
}

Status PwriteAll(int fd, const std::byte* p, size_t n, uint64_t off) {
  while (n > 0) {
    ssize_t w = RetryEintr([&] { return pwrite(fd, p, n, static_cast<off_t>(off)); });
    if (w < 0) return Error::FromErrno("pwrite", errno, "erofs image");
    if (w == 0) return Error::FromErrno("pwrite", EIO, "erofs image");
    p += w;
    n -= static_cast<size_t>(w);
    off += static_cast<uint64_t>(w);
  }
  return {};
}

// Sequential output from a fixed start offset; small pieces are gathered into large writes.
class Out {
 public:
  Out(int fd, uint64_t offset) : fd_(fd), offset_(offset) {}
  uint64_t offset() const { return offset_ + buf_.size(); }
  Status Write(ByteSpan b) {
    if (buf_.size() + b.size() > kFlushBytes) TRY(Flush());
    if (b.size() >= kFlushBytes) {
      TRY(PwriteAll(fd_, b.data(), b.size(), offset_));
      offset_ += b.size();
      return {};
    }
    buf_.insert(buf_.end(), b.begin(), b.end());
    return {};
  }
  Status Write(std::string_view s) { return Write(AsBytes(s)); }
  Status Zeros(uint64_t n) {
    static const std::byte kZero[kBs] = {};
    while (n > 0) {
      size_t k = static_cast<size_t>(std::min<uint64_t>(n, kBs));
      TRY(Write(ByteSpan(kZero, k)));
      n -= k;
    }
    return {};
  }
  Status PadTo(uint64_t target) {
    if (target < offset()) return Error::Invalid("erofs", "metadata layout overlap");
    return Zeros(target - offset());
  }
  Status Flush() {
    TRY(PwriteAll(fd_, buf_.data(), buf_.size(), offset_));
    offset_ += buf_.size();
    buf_.clear();
    return {};
  }

 private:
  int fd_;
  uint64_t offset_;
  std::vector<std::byte> buf_;
};

struct TypeBits {
  uint32_t mode;  // S_IF*
  uint8_t ft;     // dirent file type
};

TypeBits TypeOf(EntryType t) {
  switch (t) {
    case EntryType::kDirectory:
      return {S_IFDIR, erofs::kFtDirectory};
    case EntryType::kSymlink:
      return {S_IFLNK, erofs::kFtSymlink};
    case EntryType::kCharDevice:
      return {S_IFCHR, erofs::kFtCharDevice};
    case EntryType::kBlockDevice:
      return {S_IFBLK, erofs::kFtBlockDevice};
    case EntryType::kFifo:
      return {S_IFIFO, erofs::kFtFifo};
    case EntryType::kSocket:
      return {S_IFSOCK, erofs::kFtSocket};
    default:
      return {S_IFREG, erofs::kFtRegular};
  }
}

// The inline xattr body (erofs_xattr_ibody_header + entries), or "" without xattrs.
// Names the format has no index for, and values over 65535 bytes, are skipped and counted.
std::string XattrBody(const Inode& n, uint64_t* dropped) {
  struct Prefix {
    std::string_view name;
    uint8_t index;
    bool whole;  // the ACL indexes stand for the full name, with an empty suffix
  };
  static constexpr Prefix kPrefixes[] = {
      {"user.", erofs::kXattrUser, false},
      {"trusted.", erofs::kXattrTrusted, false},
      {"security.", erofs::kXattrSecurity, false},
      {"system.posix_acl_access", erofs::kXattrPosixAclAccess, true},
      {"system.posix_acl_default", erofs::kXattrPosixAclDefault, true},
  };
  std::string out;
  for (const Xattr& x : n.xattrs) {
    const Prefix* p = nullptr;
    for (const Prefix& c : kPrefixes) {
      if (c.whole ? x.name == c.name
                  : (x.name.starts_with(c.name) && x.name.size() > c.name.size())) {
        p = &c;
        break;
      }
    }
    std::string_view suffix = p != nullptr ? std::string_view(x.name).substr(p->name.size()) : "";
    size_t entry = RoundUp(sizeof(erofs::XattrEntry) + suffix.size() + x.value.size(), 4);
    size_t body = (out.empty() ? sizeof(erofs::XattrIbodyHeader) : out.size()) + entry;
    // i_xattr_icount = 1 + (body - 12) / 4 must fit 16 bits.
    if (p == nullptr || x.value.size() > 0xFFFF || suffix.size() > erofs::kNameMax ||
        (body - sizeof(erofs::XattrIbodyHeader)) / 4 + 1 > 0xFFFF) {
      if (dropped != nullptr) ++*dropped;
      continue;
    }
    if (out.empty()) out.assign(sizeof(erofs::XattrIbodyHeader), '\0');
    erofs::XattrEntry e{static_cast<uint8_t>(suffix.size()), p->index,
                        static_cast<uint16_t>(x.value.size())};
    out.append(AsChars(Raw(e)));
    out.append(suffix);
    out.append(x.value);
    out.resize(body, '\0');
  }
  return out;
}

struct DirItem {
  std::string_view name;
  const Inode* inode;
};

// All entries of a directory including "." and "..", sorted bytewise over the whole
// directory: the kernel binary-searches blocks by their first name, then within a block.
std::vector<DirItem> DirItems(const Dentry& dir, const Dentry& parent) {
  std::vector<DirItem> items;
  items.reserve(dir.children.size() + 2);
  for (const auto& [name, c] : dir.children) items.push_back({name, c->inode.get()});
  auto insert = [&](std::string_view name, const Inode* inode) {
    auto at = std::lower_bound(items.begin(), items.end(), name,
                               [](const DirItem& a, std::string_view b) { return a.name < b; });
    items.insert(at, DirItem{name, inode});
  };
  insert(".", dir.inode.get());
  insert("..", parent.inode.get());
  return items;
}

// Splits items into directory blocks: block(first, last, used_bytes) for each; returns the
// directory size (full blocks, then the bytes used in the last block).
template <typename F>
uint64_t PackDir(const std::vector<DirItem>& items, F&& block) {
  uint64_t size = 0;
  size_t first = 0;
  size_t used = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    size_t need = sizeof(erofs::Dirent) + items[i].name.size();
    if (used + need > kBs) {
      block(first, i, used);
      size += kBs;
      first = i;
      used = 0;
    }
    used += need;
  }
  block(first, items.size(), used);
  return size + used;
}

uint64_t DirSize(const std::vector<DirItem>& items) {
  return PackDir(items, [](size_t, size_t, size_t) {});
}

// Directory bytes: per block the dirents, then their names; full blocks zero-padded.
std::string DirBytes(const std::vector<DirItem>& items, const std::vector<uint64_t>& nids) {
  std::string out;
  PackDir(items, [&](size_t first, size_t last, size_t used) {
    size_t base = out.size();
    out.resize(base + used, '\0');
    size_t nameoff = (last - first) * sizeof(erofs::Dirent);
    for (size_t i = first; i < last; ++i) {
      erofs::Dirent d{nids[items[i].inode->id], static_cast<uint16_t>(nameoff),
                      TypeOf(items[i].inode->type).ft, 0};
      std::memcpy(out.data() + base + (i - first) * sizeof d, &d, sizeof d);
      std::memcpy(out.data() + base + nameoff, items[i].name.data(), items[i].name.size());
      nameoff += items[i].name.size();
    }
    if (last < items.size()) out.resize(base + kBs, '\0');
  });
  return out;
}

// Where an inode's data goes: directories and symlinks keep their last partial block inline
// after the inode and xattrs (EROFS_INODE_FLAT_INLINE) when all of it fits in the inode's
// block; a symlink is either wholly inline or wholly in blocks (the kernel's fast-symlink
// path reads it from the inode's block only).
struct Shape {
  uint16_t layout = erofs::kFlatPlain;
  uint64_t tail = 0;         // inline bytes
  uint64_t full_blocks = 0;  // blocks in the directory area
  uint64_t meta_bytes = 0;   // inode + xattrs + tail
};

Shape ShapeOf(EntryType type, uint64_t ibody, uint64_t size) {
  Shape s;
  s.meta_bytes = kInodeSize + ibody;
  if (type != EntryType::kDirectory && type != EntryType::kSymlink) return s;
  uint64_t tail = size % kBs;
  if (tail != 0 && (type != EntryType::kSymlink || size < kBs) && s.meta_bytes + tail <= kBs) {
    s.layout = erofs::kFlatInline;
    s.tail = tail;
    s.full_blocks = size / kBs;
    s.meta_bytes += tail;
  } else {
    s.full_blocks = RoundUp(size, kBs) / kBs;
  }
  return s;
}

struct Placed {
  const Dentry* d;
  const Dentry* parent;  // directories: for ".."
};

}  // namespace

struct ErofsWriter::State {
  int fd = -1;
  ErofsOptions options;
  std::vector<uint32_t> start_block;  // by Inode::id: first data block of a regular file
  Out data{-1, 0};
  uint64_t file_left = 0;
  uint64_t data_bytes = 0;
  uint64_t xattrs_dropped = 0;
  bool in_file = false;
  bool finished = false;
};

ErofsWriter::ErofsWriter(std::unique_ptr<State> s) : s_(std::move(s)) {}
ErofsWriter::~ErofsWriter() = default;

Result<std::unique_ptr<ErofsWriter>> ErofsWriter::Create(int fd, const ErofsOptions& options,
                                                         uint32_t inode_count) {
  auto s = std::make_unique<State>();
  s->fd = fd;
  s->options = options;
  s->start_block.assign(inode_count, kNoBlock);
  // Block 0 holds the super block (at 1024, written by Finish); data starts at block 1.
  static const std::byte kZero[kBs] = {};
  TRY(PwriteAll(fd, kZero, kBs, 0));
  s->data = Out(fd, kBs);
  return std::unique_ptr<ErofsWriter>(new ErofsWriter(std::move(s)));
}

Status ErofsWriter::BeginFile(const Inode& inode) {
  State& s = *s_;
  if (s.in_file || s.finished || inode.type != EntryType::kRegular ||
      inode.id >= s.start_block.size() || s.start_block[inode.id] != kNoBlock) {
    return Error::Invalid("erofs", "BeginFile out of sequence");
  }
  uint64_t block = s.data.offset() / kBs;
  if (block + RoundUp(inode.size, kBs) / kBs >= kNoBlock) {
    return Error::Invalid("erofs", "image larger than 16 TiB");
  }
  s.start_block[inode.id] = static_cast<uint32_t>(block);
  s.file_left = inode.size;
  s.in_file = true;
  return {};
}

Status ErofsWriter::Append(ByteSpan data) {
  State& s = *s_;
  if (!s.in_file) return Error::Invalid("erofs", "Append outside a file");
  if (data.size() > s.file_left) return Error::Invalid("erofs", "file data exceeds its size");
  TRY(s.data.Write(data));
  s.file_left -= data.size();
  s.data_bytes += data.size();
  return {};
}

Status ErofsWriter::EndFile() {
  State& s = *s_;
  if (!s.in_file) return Error::Invalid("erofs", "EndFile outside a file");
  s.in_file = false;
  if (s.file_left != 0) return Error::Invalid("erofs", "file data shorter than its size");
  // EROFS_INODE_FLAT_PLAIN: every file starts on a block boundary.
  return s.data.PadTo(RoundUp(s.data.offset(), kBs));
}

Result<ImageStats> ErofsWriter::Finish(const MergeTree& tree) {
  State& s = *s_;
  if (s.in_file || s.finished) return Error::Invalid("erofs", "Finish out of sequence");
  s.finished = true;
  const uint32_t count = tree.inode_count();
  if (count != s.start_block.size()) return Error::Invalid("erofs", "tree changed after Create");
  TRY(s.data.Flush());

  // Inode order: breadth first from the root, so the root gets nid 0 (root_nid is 16 bits)
  // and a directory's children sit together; a shared (hardlinked) inode at its first name.
  std::vector<Placed> order;
  order.reserve(count);
  std::vector<bool> seen(count, false);
  order.push_back({&tree.root(), &tree.root()});
  seen[tree.root().inode->id] = true;
  for (size_t i = 0; i < order.size(); ++i) {
    if (!order[i].d->is_dir()) continue;
    for (const auto& [name, c] : order[i].d->children) {
      if (seen[c->inode->id]) continue;
      seen[c->inode->id] = true;
      order.push_back({c.get(), order[i].d});
    }
  }
  if (order.size() != count) return Error::Invalid("erofs", "inode count mismatch");

  // Pass A: metadata offsets. An inode, its xattrs and its inline tail never straddle a
  // block boundary (only an inode whose xattrs exceed a block spans blocks, from a block
  // start); nids count 32-byte slots from meta_blkaddr.
  std::vector<uint64_t> nids(count, 0);
  uint64_t meta = 0;
  for (const Placed& p : order) {
    const Inode& n = *p.d->inode;
    uint64_t size = n.type == EntryType::kDirectory ? DirSize(DirItems(*p.d, *p.parent))
                    : n.type == EntryType::kSymlink ? n.symlink_target.size()
                                                    : 0;
    Shape sh = ShapeOf(n.type, XattrBody(n, nullptr).size(), size);
    uint64_t in_block = meta % kBs;
    if (in_block != 0 && in_block + sh.meta_bytes > kBs) meta = RoundUp(meta, kBs);
    nids[n.id] = meta / erofs::kSlotSize;
    meta = RoundUp(meta + sh.meta_bytes, erofs::kSlotSize);
  }
  const uint64_t meta_blkaddr = s.data.offset() / kBs;
  const uint64_t meta_end = meta_blkaddr + RoundUp(meta, kBs) / kBs;
  if (meta_end >= kNoBlock) return Error::Invalid("erofs", "image larger than 16 TiB");
  if (nids[tree.root().inode->id] != 0) return Error::Invalid("erofs", "root is not nid 0");

  // Pass B: inodes into the metadata area, full directory/symlink blocks after it.
  Out mo(s.fd, meta_blkaddr * kBs);
  Out bo(s.fd, meta_end * kBs);
  uint64_t next_block = meta_end;
  for (size_t i = 0; i < order.size(); ++i) {
    const Placed& p = order[i];
    const Inode& n = *p.d->inode;
    std::string ibody = XattrBody(n, &s.xattrs_dropped);
    std::string data;
    uint32_t nlink = n.nlink;
    if (n.type == EntryType::kDirectory) {
      std::vector<DirItem> items = DirItems(*p.d, *p.parent);
      data = DirBytes(items, nids);
      // Linux convention: "." and ".." plus one ".." per subdirectory.
      nlink = 2;
      for (const auto& [name, c] : p.d->children) nlink += c->is_dir() ? 1 : 0;
    } else if (n.type == EntryType::kSymlink) {
      data = n.symlink_target;
    }
    Shape sh = ShapeOf(n.type, ibody.size(), data.size());

    erofs::InodeExtended ino{};
    ino.i_format =
        static_cast<uint16_t>(erofs::kInodeLayoutExtended | (sh.layout << erofs::kDataLayoutBit));
    ino.i_xattr_icount =
        ibody.empty()
            ? 0
            : static_cast<uint16_t>((ibody.size() - sizeof(erofs::XattrIbodyHeader)) / 4 + 1);
    ino.i_mode = static_cast<uint16_t>(TypeOf(n.type).mode | (n.mode & 07777));
    ino.i_size = n.type == EntryType::kRegular ? n.size : data.size();
    ino.i_ino = static_cast<uint32_t>(i + 1);
    ino.i_uid = n.uid;
    ino.i_gid = n.gid;
    ino.i_mtime = static_cast<uint64_t>(n.mtime);  // two's complement, read back as time64_t
    ino.i_nlink = nlink;
    switch (n.type) {
      case EntryType::kRegular:
        if (n.size != 0) {
          if (s.start_block[n.id] == kNoBlock) {
            return Error::Invalid("erofs", "file data was never written");
          }
          ino.i_u = s.start_block[n.id];
        }
        break;
      case EntryType::kDirectory:
      case EntryType::kSymlink:
        if (sh.full_blocks != 0) {
          if (next_block + sh.full_blocks >= kNoBlock) {
            return Error::Invalid("erofs", "image larger than 16 TiB");
          }
          ino.i_u = static_cast<uint32_t>(next_block);
          std::string_view blocks = std::string_view(data).substr(0, sh.full_blocks * kBs);
          TRY(bo.Write(blocks));
          TRY(bo.Zeros(sh.full_blocks * kBs - blocks.size()));
          next_block += sh.full_blocks;
        }
        break;
      case EntryType::kCharDevice:
      case EntryType::kBlockDevice:
        // Linux new_encode_dev (include/linux/kdev_t.h): 12-bit major, 20-bit minor.
        if (n.rdev_major >= (1u << 12) || n.rdev_minor >= (1u << 20)) {
          return Error::Invalid("erofs", "device number does not fit new_encode_dev");
        }
        ino.i_u = (n.rdev_minor & 0xff) | (n.rdev_major << 8) | ((n.rdev_minor & ~0xffu) << 12);
        break;
      case EntryType::kFifo:
      case EntryType::kSocket:
        break;
      default:
        return Error::Invalid("erofs", "unexpected inode type");
    }
    TRY(mo.PadTo(meta_blkaddr * kBs + nids[n.id] * erofs::kSlotSize));
    TRY(mo.Write(Raw(ino)));
    TRY(mo.Write(ibody));
    if (sh.layout == erofs::kFlatInline)
      TRY(mo.Write(std::string_view(data).substr(data.size() - sh.tail)));
  }
  TRY(mo.PadTo(meta_end * kBs));
  TRY(mo.Flush());
  TRY(bo.Flush());

  erofs::SuperBlock sb{};
  sb.magic = erofs::kSuperMagicV1;
  sb.blkszbits = erofs::kBlockBits;
  sb.root_nid = 0;
  sb.inos = count;
  sb.build_time = static_cast<uint64_t>(s.options.build_time);
  sb.blocks = static_cast<uint32_t>(next_block);
  sb.meta_blkaddr = static_cast<uint32_t>(meta_blkaddr);
  TRY(PwriteAll(s.fd, reinterpret_cast<const std::byte*>(&sb), sizeof sb, erofs::kSuperOffset));

  ImageStats st;
  st.inodes = count;
  st.bytes = next_block * kBs;
  st.data_bytes_in = s.data_bytes;
  st.xattrs_dropped = s.xattrs_dropped;
  return st;
}

}  // namespace krata::oci::pack
