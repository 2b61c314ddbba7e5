#include "oci/pack/squashfs_reader.h"

#include <fcntl.h>
#include <sqfs/compressor.h>
#include <sqfs/data_reader.h>
#include <sqfs/dir_reader.h>
#include <sqfs/error.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/super.h>
#include <sqfs/xattr.h>
#include <sqfs/xattr_reader.h>
#include <sys/stat.h>

#include <algorithm>
#include <functional>

#include "base/file.h"
#include "oci/pack/sqfs_util.h"

namespace krata::oci::pack {

namespace {

#define SQ_TRY(op, expr)                             \
  do {                                               \
    int sq_rc_ = (expr);                             \
    if (sq_rc_ != 0) return SqfsError((op), sq_rc_); \
  } while (0)

struct TreeFree {
  void operator()(sqfs_tree_node_t* n) const { sqfs_dir_tree_destroy(n); }
};
struct FreeWithSqfs {
  void operator()(void* p) const { sqfs_free(p); }
};

uint32_t LinkCount(const sqfs_inode_generic_t* in) {
  switch (in->base.type) {
    case SQFS_INODE_DIR:
      return in->data.dir.nlink;
    case SQFS_INODE_EXT_DIR:
      return in->data.dir_ext.nlink;
    case SQFS_INODE_FILE:
      return 1;
    case SQFS_INODE_EXT_FILE:
      return in->data.file_ext.nlink;
    case SQFS_INODE_SLINK:
      return in->data.slink.nlink;
    case SQFS_INODE_EXT_SLINK:
      return in->data.slink_ext.nlink;
    case SQFS_INODE_BDEV:
    case SQFS_INODE_CDEV:
      return in->data.dev.nlink;
    case SQFS_INODE_EXT_BDEV:
    case SQFS_INODE_EXT_CDEV:
      return in->data.dev_ext.nlink;
    case SQFS_INODE_FIFO:
    case SQFS_INODE_SOCKET:
      return in->data.ipc.nlink;
    case SQFS_INODE_EXT_FIFO:
    case SQFS_INODE_EXT_SOCKET:
      return in->data.ipc_ext.nlink;
    default:
      return 0;
  }
}

}  // namespace

Result<std::map<std::string, ImageNode>> ReadSquashfsTree(const std::string& path,
                                                          uint64_t max_file_bytes) {
  UniqueFd fd = TRY(OpenFile(path, O_RDONLY));
  SqfsPtr<sqfs_file_t> file = MakeFdFile(fd.get(), /*read_only=*/true);
  if (!file) return Error::FromErrno("open image", errno, path);
  sqfs_super_t super{};
  SQ_TRY("read super block", sqfs_super_read(&super, file.get()));
  sqfs_compressor_config_t cfg;
  SQ_TRY("compressor config",
         sqfs_compressor_config_init(&cfg, static_cast<SQFS_COMPRESSOR>(super.compression_id),
                                     super.block_size, SQFS_COMP_FLAG_UNCOMPRESS));
  sqfs_compressor_t* cmp_raw = nullptr;
  SQ_TRY("create decompressor", sqfs_compressor_create(&cfg, &cmp_raw));
  SqfsPtr<sqfs_compressor_t> cmp(cmp_raw);

  SqfsPtr<sqfs_xattr_reader_t> xr;
  if ((super.flags & SQFS_FLAG_NO_XATTRS) == 0) {
    xr.reset(sqfs_xattr_reader_create(0));
    if (!xr) return SqfsError("xattr reader", SQFS_ERROR_ALLOC);
    SQ_TRY("load xattrs", sqfs_xattr_reader_load(xr.get(), &super, file.get(), cmp.get()));
  }
  SqfsPtr<sqfs_id_table_t> ids(sqfs_id_table_create(0));
  if (!ids) return SqfsError("id table", SQFS_ERROR_ALLOC);
  SQ_TRY("read id table", sqfs_id_table_read(ids.get(), file.get(), &super, cmp.get()));
  SqfsPtr<sqfs_dir_reader_t> dirs(sqfs_dir_reader_create(&super, cmp.get(), file.get(), 0));
  SqfsPtr<sqfs_data_reader_t> data(
      sqfs_data_reader_create(file.get(), super.block_size, cmp.get(), 0));
  if (!dirs || !data) return SqfsError("readers", SQFS_ERROR_ALLOC);
  SQ_TRY("fragment table", sqfs_data_reader_load_fragment_table(data.get(), &super));

  sqfs_tree_node_t* root_raw = nullptr;
  SQ_TRY("read directory tree",
         sqfs_dir_reader_get_full_hierarchy(dirs.get(), ids.get(), nullptr, 0, &root_raw));
  std::unique_ptr<sqfs_tree_node_t, TreeFree> root(root_raw);

  std::map<std::string, ImageNode> out;
  auto convert = [&](const sqfs_tree_node_t* tn) -> Result<ImageNode> {
    const sqfs_inode_generic_t* in = tn->inode;
    ImageNode n;
    n.mode = in->base.mode & 07777;
    n.uid = tn->uid;
    n.gid = tn->gid;
    n.mtime = in->base.mod_time;
    n.inode_number = in->base.inode_number;
    n.nlink = LinkCount(in);
    switch (in->base.mode & S_IFMT) {
      case S_IFDIR:
        n.type = EntryType::kDirectory;
        break;
      case S_IFREG:
        n.type = EntryType::kRegular;
        break;
      case S_IFLNK:
        n.type = EntryType::kSymlink;
        break;
      case S_IFCHR:
        n.type = EntryType::kCharDevice;
        break;
      case S_IFBLK:
        n.type = EntryType::kBlockDevice;
        break;
      case S_IFIFO:
        n.type = EntryType::kFifo;
        break;
      case S_IFSOCK:
        n.type = EntryType::kSocket;
        break;
      default:
        return Error::Invalid("read image", "unknown inode mode");
    }
    if (n.type == EntryType::kSymlink) {
      uint32_t len = in->base.type == SQFS_INODE_SLINK ? in->data.slink.target_size
                                                       : in->data.slink_ext.target_size;
      n.symlink_target.assign(reinterpret_cast<const char*>(in->extra), len);
    }
    if (n.type == EntryType::kCharDevice || n.type == EntryType::kBlockDevice) {
      uint32_t devno = (in->base.type == SQFS_INODE_CDEV || in->base.type == SQFS_INODE_BDEV)
                           ? in->data.dev.devno
                           : in->data.dev_ext.devno;
      n.rdev_major = (devno >> 8) & 0xfff;
      n.rdev_minor = (devno & 0xff) | ((devno >> 12) & 0xfff00);
    }
    if (n.type == EntryType::kRegular) {
      sqfs_u64 size = 0;
      sqfs_inode_get_file_size(in, &size);
      if (size > max_file_bytes) return Error::Invalid("read image", "file too large");
      n.data.resize(size);
      sqfs_u64 off = 0;
      while (off < size) {
        sqfs_u32 chunk = static_cast<sqfs_u32>(std::min<sqfs_u64>(size - off, 1 << 20));
        sqfs_s32 got = sqfs_data_reader_read(data.get(), in, off, n.data.data() + off, chunk);
        if (got <= 0) return SqfsError("read file data", got < 0 ? got : SQFS_ERROR_CORRUPTED);
        off += static_cast<sqfs_u64>(got);
      }
    }
    sqfs_u32 xidx = 0xFFFFFFFF;
    sqfs_inode_get_xattr_index(in, &xidx);
    if (xidx != 0xFFFFFFFF) {
      if (!xr) return Error::Invalid("read image", "xattr index without xattr table");
      sqfs_xattr_id_t desc{};
      SQ_TRY("xattr desc", sqfs_xattr_reader_get_desc(xr.get(), xidx, &desc));
      SQ_TRY("xattr seek", sqfs_xattr_reader_seek_kv(xr.get(), &desc));
      for (sqfs_u32 i = 0; i < desc.count; ++i) {
        sqfs_xattr_entry_t* key_raw = nullptr;
        SQ_TRY("xattr key", sqfs_xattr_reader_read_key(xr.get(), &key_raw));
        std::unique_ptr<sqfs_xattr_entry_t, FreeWithSqfs> key(key_raw);
        sqfs_xattr_value_t* val_raw = nullptr;
        SQ_TRY("xattr value", sqfs_xattr_reader_read_value(xr.get(), key.get(), &val_raw));
        std::unique_ptr<sqfs_xattr_value_t, FreeWithSqfs> val(val_raw);
        n.xattrs.push_back(
            Xattr{reinterpret_cast<const char*>(key->key),
                  std::string(reinterpret_cast<const char*>(val->value), val->size)});
      }
      std::sort(n.xattrs.begin(), n.xattrs.end(),
                [](const Xattr& a, const Xattr& b) { return a.name < b.name; });
    }
    return n;
  };

  std::function<Status(const sqfs_tree_node_t*, const std::string&)> walk =
      [&](const sqfs_tree_node_t* tn, const std::string& p) -> Status {
    out[p] = TRY(convert(tn));
    for (const sqfs_tree_node_t* c = tn->children; c != nullptr; c = c->next) {
      std::string name(reinterpret_cast<const char*>(c->name));
      TRY(walk(c, p.empty() ? name : p + "/" + name));
    }
    return {};
  };
  TRY(walk(root.get(), ""));
  return out;
}

}  // namespace krata::oci::pack
