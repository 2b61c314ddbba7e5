#include "oci/pack/squashfs_writer.h"

#include <sqfs/block.h>
#include <sqfs/block_processor.h>
#include <sqfs/block_writer.h>
#include <sqfs/compressor.h>
#include <sqfs/dir_writer.h>
#include <sqfs/error.h>
#include <sqfs/frag_table.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/meta_writer.h>
#include <sqfs/super.h>
#include <sqfs/xattr.h>
#include <sqfs/xattr_writer.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <string>

namespace krata::oci::pack {

namespace {

#define SQ_TRY(op, expr)                             \
  do {                                               \
    int sq_rc_ = (expr);                             \
    if (sq_rc_ != 0) return SqfsError((op), sq_rc_); \
  } while (0)

SQFS_COMPRESSOR CompressorId(SquashfsCompressor c) {
  switch (c) {
    case SquashfsCompressor::kGzip:
      return SQFS_COMP_GZIP;
    case SquashfsCompressor::kZstd:
      return SQFS_COMP_ZSTD;
    case SquashfsCompressor::kXz:
      return SQFS_COMP_XZ;
    case SquashfsCompressor::kLz4:
      return SQFS_COMP_LZ4;
  }
  return SQFS_COMP_GZIP;
}

// Owns the file inodes the block processor fills in; must outlive the processor, which may
// still update them until sqfs_block_processor_finish().
struct DataInodes {
  std::vector<sqfs_inode_generic_t*> v;
  ~DataInodes() {
    for (sqfs_inode_generic_t* p : v) std::free(p);
  }
};

struct FreeInode {
  void operator()(sqfs_inode_generic_t* p) const { std::free(p); }
};
using InodePtr = std::unique_ptr<sqfs_inode_generic_t, FreeInode>;

InodePtr AllocInode(size_t extra) {
  return InodePtr(
      static_cast<sqfs_inode_generic_t*>(std::calloc(1, sizeof(sqfs_inode_generic_t) + extra)));
}

uint16_t ModeBits(const Inode& n) {
  uint32_t type = S_IFREG;
  switch (n.type) {
    case EntryType::kDirectory:
      type = S_IFDIR;
      break;
    case EntryType::kSymlink:
      type = S_IFLNK;
      break;
    case EntryType::kCharDevice:
      type = S_IFCHR;
      break;
    case EntryType::kBlockDevice:
      type = S_IFBLK;
      break;
    case EntryType::kFifo:
      type = S_IFIFO;
      break;
    case EntryType::kSocket:
      type = S_IFSOCK;
      break;
    default:
      break;
  }
  return static_cast<uint16_t>(type | (n.mode & 07777));
}

uint32_t ClampTime(int64_t t) {
  // squashfs keeps 32-bit unsigned seconds (like tar2sqfs, clamp rather than fail).
  if (t < 0) return 0;
  if (t > std::numeric_limits<uint32_t>::max()) return std::numeric_limits<uint32_t>::max();
  return static_cast<uint32_t>(t);
}

}  // namespace

struct SquashfsWriter::State {
  SquashfsOptions options;
  SqfsPtr<sqfs_file_t> file;
  SqfsPtr<sqfs_compressor_t> cmp;
  SqfsPtr<sqfs_compressor_t> uncmp;
  sqfs_super_t super{};
  SqfsPtr<sqfs_block_writer_t> blkwr;
  SqfsPtr<sqfs_frag_table_t> frag;
  DataInodes data;
  SqfsPtr<sqfs_block_processor_t> proc;
  SqfsPtr<sqfs_id_table_t> ids;
  SqfsPtr<sqfs_xattr_writer_t> xwr;
  SqfsPtr<sqfs_meta_writer_t> im;
  SqfsPtr<sqfs_meta_writer_t> dm;
  SqfsPtr<sqfs_dir_writer_t> dirwr;
  // Serialisation state, by Inode::id.
  std::vector<uint32_t> numbers;
  std::vector<uint64_t> refs;
  std::vector<bool> written;
  uint32_t next_number = 0;
  uint64_t data_bytes = 0;
  uint64_t xattrs_dropped = 0;
  bool in_file = false;
  bool finished = false;
};

SquashfsWriter::SquashfsWriter(std::unique_ptr<State> s) : s_(std::move(s)) {}
SquashfsWriter::~SquashfsWriter() = default;

Result<std::unique_ptr<SquashfsWriter>> SquashfsWriter::Create(int fd,
                                                               const SquashfsOptions& options,
                                                               uint32_t inode_count) {
  auto s = std::make_unique<State>();
  s->options = options;
  const uint32_t bs = options.block_size;
  if (bs < 4096 || bs > (1 << 20) || (bs & (bs - 1)) != 0) {
    return Error::Invalid("squashfs", "block size must be a power of two in 4 KiB..1 MiB");
  }
  s->file = MakeFdFile(fd, /*read_only=*/false);
  if (!s->file) return Error::FromErrno("squashfs output", errno);

  SQFS_COMPRESSOR id = CompressorId(options.compressor);
  sqfs_compressor_config_t cfg;
  SQ_TRY("compressor config", sqfs_compressor_config_init(&cfg, id, bs, 0));
  if (options.level != 0) cfg.level = options.level;
  sqfs_compressor_t* cmp = nullptr;
  SQ_TRY("create compressor", sqfs_compressor_create(&cfg, &cmp));
  s->cmp.reset(cmp);
  cfg.flags |= SQFS_COMP_FLAG_UNCOMPRESS;
  sqfs_compressor_t* uncmp = nullptr;
  SQ_TRY("create decompressor", sqfs_compressor_create(&cfg, &uncmp));
  s->uncmp.reset(uncmp);

  SQ_TRY("super block", sqfs_super_init(&s->super, bs, options.mkfs_time, id));
  SQ_TRY("write super block", sqfs_super_write(&s->super, s->file.get()));
  int opts = s->cmp->write_options(s->cmp.get(), s->file.get());
  if (opts < 0) return SqfsError("write compressor options", opts);
  if (opts > 0) s->super.flags |= SQFS_FLAG_COMPRESSOR_OPTIONS;

  s->blkwr.reset(sqfs_block_writer_create(s->file.get(), SQFS_DEVBLK_SIZE, 0));
  s->frag.reset(sqfs_frag_table_create(0));
  if (!s->blkwr || !s->frag) return SqfsError("squashfs writer", SQFS_ERROR_ALLOC);

  s->data.v.assign(inode_count, nullptr);
  sqfs_block_processor_desc_t desc{};
  desc.size = sizeof(desc);
  desc.max_block_size = bs;
  desc.num_workers = options.workers == 0 ? 1 : options.workers;
  desc.max_backlog = 10 * desc.num_workers;  // bounds buffered blocks (memory)
  desc.cmp = s->cmp.get();
  desc.wr = s->blkwr.get();
  desc.tbl = s->frag.get();
  desc.file = s->file.get();  // lets fragment dedup verify candidates byte for byte
  desc.uncmp = s->uncmp.get();
  sqfs_block_processor_t* proc = nullptr;
  SQ_TRY("block processor", sqfs_block_processor_create_ex(&desc, &proc));
  s->proc.reset(proc);

  s->ids.reset(sqfs_id_table_create(0));
  s->xwr.reset(sqfs_xattr_writer_create(0));
  s->im.reset(sqfs_meta_writer_create(s->file.get(), s->cmp.get(), 0));
  s->dm.reset(
      sqfs_meta_writer_create(s->file.get(), s->cmp.get(), SQFS_META_WRITER_KEEP_IN_MEMORY));
  if (!s->ids || !s->xwr || !s->im || !s->dm) return SqfsError("squashfs writer", SQFS_ERROR_ALLOC);
  s->dirwr.reset(sqfs_dir_writer_create(s->dm.get(), 0));
  if (!s->dirwr) return SqfsError("squashfs writer", SQFS_ERROR_ALLOC);
  return std::unique_ptr<SquashfsWriter>(new SquashfsWriter(std::move(s)));
}

Status SquashfsWriter::BeginFile(const Inode& inode) {
  if (s_->in_file || s_->finished || inode.id >= s_->data.v.size() ||
      s_->data.v[inode.id] != nullptr) {
    return Error::Invalid("squashfs", "BeginFile out of sequence");
  }
  SQ_TRY("begin file",
         sqfs_block_processor_begin_file(s_->proc.get(), &s_->data.v[inode.id], nullptr, 0));
  s_->in_file = true;
  return {};
}

Status SquashfsWriter::Append(ByteSpan data) {
  if (!s_->in_file) return Error::Invalid("squashfs", "Append outside a file");
  // libsquashfs 1.2 dereferences a NULL block on zero-sized appends: skip them.
  while (!data.empty()) {
    size_t n = std::min<size_t>(data.size(), 1 << 30);
    SQ_TRY("append file data", sqfs_block_processor_append(s_->proc.get(), data.data(), n));
    data = data.subspan(n);
    s_->data_bytes += n;
  }
  return {};
}

Status SquashfsWriter::EndFile() {
  if (!s_->in_file) return Error::Invalid("squashfs", "EndFile outside a file");
  s_->in_file = false;
  SQ_TRY("end file", sqfs_block_processor_end_file(s_->proc.get()));
  return {};
}

Result<SquashfsStats> SquashfsWriter::Finish(const MergeTree& tree) {
  if (s_->in_file || s_->finished) return Error::Invalid("squashfs", "Finish out of sequence");
  s_->finished = true;
  State& s = *s_;
  SQ_TRY("finish data blocks", sqfs_block_processor_finish(s.proc.get()));

  s.super.inode_table_start = s.file->get_size(s.file.get());
  TRY(WriteTree(tree));
  SQ_TRY("flush inode table", sqfs_meta_writer_flush(s.im.get()));
  SQ_TRY("flush directory table", sqfs_meta_writer_flush(s.dm.get()));
  s.super.root_inode_ref = s.refs[tree.root().inode->id];
  s.super.inode_count = s.next_number;
  s.super.directory_table_start = s.file->get_size(s.file.get());
  SQ_TRY("write directory table", sqfs_meta_write_write_to_file(s.dm.get()));
  SQ_TRY("write fragment table",
         sqfs_frag_table_write(s.frag.get(), s.file.get(), &s.super, s.cmp.get()));
  SQ_TRY("write id table", sqfs_id_table_write(s.ids.get(), s.file.get(), &s.super, s.cmp.get()));
  SQ_TRY("write xattr table",
         sqfs_xattr_writer_flush(s.xwr.get(), s.file.get(), &s.super, s.cmp.get()));
  s.super.bytes_used = s.file->get_size(s.file.get());
  SQ_TRY("write super block", sqfs_super_write(&s.super, s.file.get()));

  // Pad to the device block size: the kernel reads whole 4 KiB blocks (as tar2sqfs does).
  uint64_t size = s.super.bytes_used;
  if (size % SQFS_DEVBLK_SIZE != 0) {
    static const char kZeros[SQFS_DEVBLK_SIZE] = {};
    size_t pad = SQFS_DEVBLK_SIZE - size % SQFS_DEVBLK_SIZE;
    SQ_TRY("pad image", s.file->write_at(s.file.get(), size, kZeros, pad));
    size += pad;
  }
  SquashfsStats st;
  st.inodes = s.next_number;
  st.bytes = size;
  st.data_bytes_in = s.data_bytes;
  st.xattrs_dropped = s.xattrs_dropped;
  return st;
}

Status SquashfsWriter::WriteTree(const MergeTree& tree) {
  State& s = *s_;
  const uint32_t count = tree.inode_count();
  if (count != s.data.v.size()) return Error::Invalid("squashfs", "tree changed after Create");
  s.numbers.assign(count, 0);
  s.refs.assign(count, 0);
  s.written.assign(count, false);

  // Numbers follow the write order: children (and subdirectories) before their directory,
  // a shared inode at its first name. Depth is bounded by kMaxPathLength.
  std::function<void(const Dentry&)> number = [&](const Dentry& dir) {
    for (const auto& [name, c] : dir.children) {
      if (c->is_dir()) {
        number(*c);
      } else if (s.numbers[c->inode->id] == 0) {
        s.numbers[c->inode->id] = ++s.next_number;
      }
    }
    s.numbers[dir.inode->id] = ++s.next_number;
  };
  number(tree.root());

  auto xattr_index = [&](const Inode& n) -> Result<uint32_t> {
    if (n.xattrs.empty()) return uint32_t{0xFFFFFFFF};
    SQ_TRY("xattr begin", sqfs_xattr_writer_begin(s.xwr.get(), 0));
    for (const Xattr& x : n.xattrs) {
      // squashfs only encodes the user., trusted. and security. namespaces.
      if (sqfs_get_xattr_prefix_id(x.name.c_str()) < 0) {
        ++s.xattrs_dropped;
        continue;
      }
      SQ_TRY("xattr add",
             sqfs_xattr_writer_add(s.xwr.get(), x.name.c_str(), x.value.data(), x.value.size()));
    }
    uint32_t idx = 0;
    SQ_TRY("xattr end", sqfs_xattr_writer_end(s.xwr.get(), &idx));
    return idx;
  };

  auto finish_inode = [&](const Inode& n, sqfs_inode_generic_t* sq, uint32_t xattr) -> Status {
    sq->base.mode = ModeBits(n);
    sq->base.mod_time = ClampTime(n.mtime);
    sq->base.inode_number = s.numbers[n.id];
    if (xattr != 0xFFFFFFFF) SQ_TRY("xattr index", sqfs_inode_set_xattr_index(sq, xattr));
    SQ_TRY("uid", sqfs_id_table_id_to_index(s.ids.get(), n.uid, &sq->base.uid_idx));
    SQ_TRY("gid", sqfs_id_table_id_to_index(s.ids.get(), n.gid, &sq->base.gid_idx));
    sqfs_u64 block = 0;
    sqfs_u32 offset = 0;
    sqfs_meta_writer_get_position(s.im.get(), &block, &offset);
    s.refs[n.id] = (block << 16) | offset;
    SQ_TRY("write inode", sqfs_meta_writer_write_inode(s.im.get(), sq));
    s.written[n.id] = true;
    return {};
  };

  auto write_leaf = [&](const Inode& n) -> Status {
    uint32_t xattr = TRY(xattr_index(n));
    InodePtr sq;
    switch (n.type) {
      case EntryType::kRegular: {
        sq.reset(std::exchange(s.data.v[n.id], nullptr));
        if (!sq) {
          if (n.size != 0) return Error::Invalid("squashfs", "file data was never written");
          sq = AllocInode(0);
          if (!sq) return SqfsError("inode", SQFS_ERROR_ALLOC);
          sq->base.type = SQFS_INODE_FILE;
          sqfs_inode_set_frag_location(sq.get(), 0xFFFFFFFF, 0xFFFFFFFF);
        }
        sqfs_u64 size = 0;
        sqfs_inode_get_file_size(sq.get(), &size);
        if (size != n.size) return Error::Invalid("squashfs", "file size mismatch");
        if (n.nlink > 1) {
          SQ_TRY("extend inode", sqfs_inode_make_extended(sq.get()));
          sq->data.file_ext.nlink = n.nlink;
        }
        break;
      }
      case EntryType::kSymlink: {
        size_t len = n.symlink_target.size();
        sq = AllocInode(len);
        if (!sq) return SqfsError("inode", SQFS_ERROR_ALLOC);
        sq->base.type = SQFS_INODE_SLINK;
        sq->payload_bytes_available = static_cast<sqfs_u32>(len);
        sq->payload_bytes_used = static_cast<sqfs_u32>(len);
        sq->data.slink.nlink = n.nlink;
        sq->data.slink.target_size = static_cast<sqfs_u32>(len);
        std::memcpy(sq->extra, n.symlink_target.data(), len);
        break;
      }
      case EntryType::kCharDevice:
      case EntryType::kBlockDevice: {
        // Linux new_encode_dev (include/linux/kdev_t.h): 12-bit major, 20-bit minor.
        if (n.rdev_major >= (1u << 12) || n.rdev_minor >= (1u << 20)) {
          return Error::Invalid("squashfs", "device number does not fit squashfs");
        }
        sq = AllocInode(0);
        if (!sq) return SqfsError("inode", SQFS_ERROR_ALLOC);
        sq->base.type = n.type == EntryType::kCharDevice ? SQFS_INODE_CDEV : SQFS_INODE_BDEV;
        sq->data.dev.nlink = n.nlink;
        sq->data.dev.devno =
            (n.rdev_minor & 0xff) | (n.rdev_major << 8) | ((n.rdev_minor & ~0xffu) << 12);
        break;
      }
      case EntryType::kFifo:
      case EntryType::kSocket:
        sq = AllocInode(0);
        if (!sq) return SqfsError("inode", SQFS_ERROR_ALLOC);
        sq->base.type = n.type == EntryType::kFifo ? SQFS_INODE_FIFO : SQFS_INODE_SOCKET;
        sq->data.ipc.nlink = n.nlink;
        break;
      default:
        return Error::Invalid("squashfs", "unexpected inode type");
    }
    return finish_inode(n, sq.get(), xattr);
  };

  std::function<Status(const Dentry&, uint32_t)> write_dir = [&](const Dentry& dir,
                                                                 uint32_t parent) -> Status {
    uint32_t subdirs = 0;
    for (const auto& [name, c] : dir.children) {
      if (c->is_dir()) {
        TRY(write_dir(*c, s.numbers[dir.inode->id]));
        ++subdirs;
      } else if (!s.written[c->inode->id]) {
        TRY(write_leaf(*c->inode));
      }
    }
    SQ_TRY("directory begin", sqfs_dir_writer_begin(s.dirwr.get(), 0));
    for (const auto& [name, c] : dir.children) {
      const Inode& n = *c->inode;
      SQ_TRY("directory entry",
             sqfs_dir_writer_add_entry(s.dirwr.get(), name.c_str(), s.numbers[n.id], s.refs[n.id],
                                       ModeBits(n)));
    }
    SQ_TRY("directory end", sqfs_dir_writer_end(s.dirwr.get()));
    const Inode& n = *dir.inode;
    uint32_t xattr = TRY(xattr_index(n));
    InodePtr sq(sqfs_dir_writer_create_inode(s.dirwr.get(), 0, xattr, parent));
    if (!sq) return SqfsError("directory inode", SQFS_ERROR_ALLOC);
    // Linux convention: "." and ".." plus one ".." per subdirectory.
    if (sq->base.type == SQFS_INODE_DIR) {
      sq->data.dir.nlink = 2 + subdirs;
    } else {
      sq->data.dir_ext.nlink = 2 + subdirs;
    }
    return finish_inode(n, sq.get(), xattr);
  };
  return write_dir(tree.root(), 0);
}

}  // namespace krata::oci::pack
