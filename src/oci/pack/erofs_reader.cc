#include "oci/pack/erofs_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <optional>
#include <set>

#include "base/bytes.h"
#include "base/checked.h"
#include "base/eintr.h"
#include "base/file.h"
#include "oci/pack/erofs_format.h"

namespace krata::oci::pack {

namespace {

constexpr uint64_t kBs = erofs::kBlockSize;

Error Corrupt(std::string message) { return Error::Invalid("erofs image", std::move(message)); }

class Image {
 public:
  static Result<Image> Open(const std::string& path) {
    Image img;
    img.fd_ = TRY(OpenFile(path, O_RDONLY));
    struct stat st {};
    if (fstat(img.fd_.get(), &st) != 0) return Error::FromErrno("fstat", errno, path);
    img.size_ = static_cast<uint64_t>(st.st_size);
    return img;
  }
  Result<std::string> Read(uint64_t off, uint64_t len) const {
    std::optional<uint64_t> end = CheckedAdd(off, len);
    if (!end || *end > size_) return Corrupt("reference past the end of the image");
    std::string out(len, '\0');
    size_t done = 0;
    while (done < len) {
      ssize_t n = RetryEintr([&] {
        return pread(fd_.get(), out.data() + done, len - done, static_cast<off_t>(off + done));
      });
      if (n < 0) return Error::FromErrno("pread", errno, "erofs image");
      if (n == 0) return Corrupt("short read");
      done += static_cast<size_t>(n);
    }
    return out;
  }

 private:
  UniqueFd fd_;
  uint64_t size_ = 0;
};

template <typename T>
Result<T> Load(const std::string& b, size_t off) {
  std::optional<T> v = LoadLe<T>(AsBytes(b), off);
  if (!v) return Corrupt("truncated structure");
  return *v;
}

struct RawInode {
  uint64_t pos = 0;  // byte offset of the inode
  uint16_t layout = 0;
  uint16_t mode = 0;
  uint64_t size = 0;
  uint32_t iu = 0;
  uint32_t ino = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime = 0;
  uint32_t nlink = 0;
  uint64_t xattr_size = 0;
};

struct Reader {
  Image img;
  uint64_t meta = 0;  // byte offset of the metadata area
  uint64_t max_file_bytes = 0;
  std::set<uint64_t> dirs_seen;
  std::map<std::string, ImageNode> out;

  Result<RawInode> Inode(uint64_t nid) {
    std::optional<uint64_t> rel = CheckedMul<uint64_t>(nid, erofs::kSlotSize);
    std::optional<uint64_t> pos = rel ? CheckedAdd(meta, *rel) : std::nullopt;
    if (!pos) return Corrupt("nid out of range");
    std::string b = TRY(img.Read(*pos, sizeof(erofs::InodeExtended)));
    erofs::InodeExtended raw;
    std::memcpy(&raw, b.data(), sizeof raw);
    if ((raw.i_format & 1) != erofs::kInodeLayoutExtended) {
      return Corrupt("compact inodes are not supported");
    }
    RawInode r;
    r.pos = *pos;
    r.layout = static_cast<uint16_t>((raw.i_format >> erofs::kDataLayoutBit) & 7);
    if (r.layout != erofs::kFlatPlain && r.layout != erofs::kFlatInline) {
      return Corrupt("unsupported data layout");
    }
    r.mode = raw.i_mode;
    r.size = raw.i_size;
    r.iu = raw.i_u;
    r.ino = raw.i_ino;
    r.uid = raw.i_uid;
    r.gid = raw.i_gid;
    r.mtime = static_cast<int64_t>(raw.i_mtime);
    r.nlink = raw.i_nlink;
    r.xattr_size = raw.i_xattr_icount == 0
                       ? 0
                       : sizeof(erofs::XattrIbodyHeader) + uint64_t{4} * (raw.i_xattr_icount - 1U);
    return r;
  }

  // Flat plain: blocks from i_u. Flat inline: all blocks but the last from i_u, the last
  // right after the inode and its xattrs, within the same block.
  Result<std::string> Data(const RawInode& n) {
    if (n.size > max_file_bytes) return Corrupt("file larger than the reader's limit");
    if (n.size == 0) return std::string();
    if (n.layout == erofs::kFlatPlain) return img.Read(uint64_t{n.iu} * kBs, n.size);
    uint64_t full = (n.size - 1) / kBs * kBs;
    std::string data = full == 0 ? std::string() : TRY(img.Read(uint64_t{n.iu} * kBs, full));
    uint64_t tail_pos = n.pos + sizeof(erofs::InodeExtended) + n.xattr_size;
    if (tail_pos % kBs + (n.size - full) > kBs) return Corrupt("inline data crosses a block");
    data += TRY(img.Read(tail_pos, n.size - full));
    return data;
  }

  Result<std::vector<Xattr>> Xattrs(const RawInode& n) {
    std::vector<Xattr> xs;
    if (n.xattr_size == 0) return xs;
    std::string b = TRY(img.Read(n.pos + sizeof(erofs::InodeExtended), n.xattr_size));
    if (b[4] != 0) return Corrupt("shared xattrs are not supported");
    size_t off = sizeof(erofs::XattrIbodyHeader);
    while (off < b.size()) {
      uint8_t name_len = TRY(Load<uint8_t>(b, off));
      uint8_t index = TRY(Load<uint8_t>(b, off + 1));
      uint16_t value_size = TRY(Load<uint16_t>(b, off + 2));
      size_t end = off + sizeof(erofs::XattrEntry) + name_len + value_size;
      if (end > b.size()) return Corrupt("xattr entry past the xattr body");
      std::string prefix;
      switch (index) {
        case erofs::kXattrUser:
          prefix = "user.";
          break;
        case erofs::kXattrPosixAclAccess:
          prefix = "system.posix_acl_access";
          break;
        case erofs::kXattrPosixAclDefault:
          prefix = "system.posix_acl_default";
          break;
        case erofs::kXattrTrusted:
          prefix = "trusted.";
          break;
        case erofs::kXattrSecurity:
          prefix = "security.";
          break;
        default:
          return Corrupt("unknown xattr name index");
      }
      size_t name_at = off + sizeof(erofs::XattrEntry);
      xs.push_back(
          {prefix + b.substr(name_at, name_len), b.substr(name_at + name_len, value_size)});
      off = (end + 3) / 4 * 4;
    }
    std::sort(xs.begin(), xs.end(), [](const Xattr& x, const Xattr& y) { return x.name < y.name; });
    return xs;
  }

  Result<ImageNode> Node(const RawInode& n) {
    ImageNode node;
    switch (n.mode & S_IFMT) {
      case S_IFREG:
        node.type = EntryType::kRegular;
        node.data = TRY(Data(n));
        break;
      case S_IFDIR:
        node.type = EntryType::kDirectory;
        break;
      case S_IFLNK:
        node.type = EntryType::kSymlink;
        node.symlink_target = TRY(Data(n));
        break;
      case S_IFCHR:
      case S_IFBLK:
        node.type = (n.mode & S_IFMT) == S_IFCHR ? EntryType::kCharDevice : EntryType::kBlockDevice;
        // Linux new_decode_dev (include/linux/kdev_t.h).
        node.rdev_major = (n.iu & 0xfff00) >> 8;
        node.rdev_minor = (n.iu & 0xff) | ((n.iu >> 12) & 0xfff00);
        break;
      case S_IFIFO:
        node.type = EntryType::kFifo;
        break;
      case S_IFSOCK:
        node.type = EntryType::kSocket;
        break;
      default:
        return Corrupt("unknown inode type");
    }
    node.mode = n.mode & 07777;
    node.uid = n.uid;
    node.gid = n.gid;
    node.mtime = static_cast<uint32_t>(
        std::clamp<int64_t>(n.mtime, 0, std::numeric_limits<uint32_t>::max()));
    node.inode_number = n.ino;
    node.nlink = n.nlink;
    node.xattrs = TRY(Xattrs(n));
    return node;
  }

  // Directory blocks: dirents (nid, nameoff, file_type), then the names; the first nameoff
  // gives the count, a name ends at the next nameoff (the last one at a NUL or the block end).
  Status Dir(uint64_t nid, const RawInode& dir, uint64_t parent, const std::string& path) {
    if (!dirs_seen.insert(nid).second) return Corrupt("directory reachable twice");
    std::string data = TRY(Data(dir));
    std::optional<std::string> prev;
    for (size_t pos = 0; pos < data.size(); pos += kBs) {
      std::string blk = data.substr(pos, kBs);
      uint16_t first = TRY(Load<uint16_t>(blk, 8));
      if (first < sizeof(erofs::Dirent) || first % sizeof(erofs::Dirent) != 0 ||
          first >= blk.size()) {
        return Corrupt("bad first name offset");
      }
      size_t count = first / sizeof(erofs::Dirent);
      for (size_t i = 0; i < count; ++i) {
        size_t at = i * sizeof(erofs::Dirent);
        uint64_t child = TRY(Load<uint64_t>(blk, at));
        uint16_t nameoff = TRY(Load<uint16_t>(blk, at + 8));
        uint8_t ft = TRY(Load<uint8_t>(blk, at + 10));
        size_t end = i + 1 < count ? TRY(Load<uint16_t>(blk, at + sizeof(erofs::Dirent) + 8))
                                   : blk.find('\0', nameoff);
        if (end == std::string::npos) end = blk.size();
        if (nameoff < first || end <= nameoff || end > blk.size()) {
          return Corrupt("bad name offsets");
        }
        std::string name = blk.substr(nameoff, end - nameoff);
        if (prev && !(*prev < name)) return Corrupt("directory entries out of order");
        prev = name;
        if (name == "." || name == "..") {
          if (child != (name == "." ? nid : parent)) return Corrupt("bad . or .. entry");
          continue;
        }
        std::string child_path = path.empty() ? name : path + "/" + name;
        RawInode c = TRY(Inode(child));
        ImageNode node = TRY(Node(c));
        static constexpr uint8_t kFt[] = {
            erofs::kFtRegular,    erofs::kFtDirectory,   erofs::kFtSymlink, 0,
            erofs::kFtCharDevice, erofs::kFtBlockDevice, erofs::kFtFifo,    erofs::kFtSocket};
        if (ft != kFt[static_cast<size_t>(node.type)]) return Corrupt("dirent file type mismatch");
        bool is_dir = node.type == EntryType::kDirectory;
        out[child_path] = std::move(node);
        if (is_dir) TRY(Dir(child, c, nid, child_path));
      }
    }
    if (!prev) return Corrupt("empty directory block");
    return {};
  }
};

}  // namespace

Result<std::map<std::string, ImageNode>> ReadErofsTree(const std::string& path,
                                                       uint64_t max_file_bytes) {
  Reader r;
  r.img = TRY(Image::Open(path));
  r.max_file_bytes = max_file_bytes;
  std::string sbb = TRY(r.img.Read(erofs::kSuperOffset, sizeof(erofs::SuperBlock)));
  erofs::SuperBlock sb;
  std::memcpy(&sb, sbb.data(), sizeof sb);
  if (sb.magic != erofs::kSuperMagicV1) return Corrupt("bad magic").With(path);
  if (sb.blkszbits != erofs::kBlockBits) return Corrupt("block size is not 4 KiB").With(path);
  if (sb.feature_incompat != 0) return Corrupt("incompatible features").With(path);
  r.meta = uint64_t{sb.meta_blkaddr} * kBs;
  RawInode root = TRY(r.Inode(sb.root_nid));
  ImageNode node = TRY(r.Node(root));
  if (node.type != EntryType::kDirectory) return Corrupt("root is not a directory").With(path);
  r.out[""] = std::move(node);
  Status st = r.Dir(sb.root_nid, root, sb.root_nid, "");
  if (!st.has_value()) return std::move(st.error()).With(path);
  return std::move(r.out);
}

}  // namespace krata::oci::pack
