#pragma once
// EROFS on-disk structures we write (uncompressed images only). Mirrors Linux
// fs/erofs/erofs_fs.h (the format definition, dual GPL-2.0/Apache-2.0); all fields are
// little-endian and x86_64 is little-endian, so the structs are written as they are.
// We only produce these bytes; nothing here parses untrusted input.

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace krata::oci::pack::erofs {

inline constexpr uint32_t kSuperMagicV1 = 0xE0F5E1E2;  // EROFS_SUPER_MAGIC_V1
inline constexpr uint64_t kSuperOffset = 1024;         // EROFS_SUPER_OFFSET
inline constexpr uint32_t kBlockBits = 12;
inline constexpr uint32_t kBlockSize = 1u << kBlockBits;
inline constexpr uint32_t kSlotSize = 32;  // nid unit: inode offset = meta_blkaddr * bs + nid * 32
inline constexpr size_t kNameMax = 255;    // EROFS_NAME_LEN

// i_format: bit 0 inode version (1 = 64-byte extended), bits 1..3 data layout.
inline constexpr uint16_t kInodeLayoutExtended = 1;  // EROFS_INODE_LAYOUT_EXTENDED
inline constexpr uint16_t kFlatPlain = 0;            // EROFS_INODE_FLAT_PLAIN
inline constexpr uint16_t kFlatInline = 2;           // EROFS_INODE_FLAT_INLINE
inline constexpr uint16_t kDataLayoutBit = 1;        // EROFS_I_DATALAYOUT_BIT

// Xattr name indexes (EROFS_XATTR_INDEX_*).
inline constexpr uint8_t kXattrUser = 1;
inline constexpr uint8_t kXattrPosixAclAccess = 2;
inline constexpr uint8_t kXattrPosixAclDefault = 3;
inline constexpr uint8_t kXattrTrusted = 4;
inline constexpr uint8_t kXattrSecurity = 6;

// Directory entry file types: the generic FT_* values (include/linux/fs_types.h).
inline constexpr uint8_t kFtRegular = 1;
inline constexpr uint8_t kFtDirectory = 2;
inline constexpr uint8_t kFtCharDevice = 3;
inline constexpr uint8_t kFtBlockDevice = 4;
inline constexpr uint8_t kFtFifo = 5;
inline constexpr uint8_t kFtSocket = 6;
inline constexpr uint8_t kFtSymlink = 7;

// struct erofs_super_block (128 bytes at kSuperOffset).
struct SuperBlock {
  uint32_t magic;
  uint32_t checksum;  // crc32c, only checked with EROFS_FEATURE_COMPAT_SB_CHKSUM
  uint32_t feature_compat;
  uint8_t blkszbits;
  uint8_t sb_extslots;
  uint16_t root_nid;
  uint64_t inos;
  uint64_t build_time;
  uint32_t build_time_nsec;
  uint32_t blocks;
  uint32_t meta_blkaddr;
  uint32_t xattr_blkaddr;
  uint8_t uuid[16];
  uint8_t volume_name[16];
  uint32_t feature_incompat;
  uint16_t available_compr_algs;
  uint16_t extra_devices;
  uint16_t devt_slotoff;
  uint8_t dirblkbits;
  uint8_t xattr_prefix_count;
  uint32_t xattr_prefix_start;
  uint64_t packed_nid;
  uint8_t xattr_filter_reserved;
  uint8_t reserved2[23];
};
static_assert(sizeof(SuperBlock) == 128);
static_assert(offsetof(SuperBlock, root_nid) == 14);
static_assert(offsetof(SuperBlock, inos) == 16);
static_assert(offsetof(SuperBlock, blocks) == 36);
static_assert(offsetof(SuperBlock, meta_blkaddr) == 40);
static_assert(offsetof(SuperBlock, feature_incompat) == 80);
static_assert(offsetof(SuperBlock, packed_nid) == 96);

// struct erofs_inode_extended (64 bytes, 32-byte aligned in the metadata area).
struct InodeExtended {
  uint16_t i_format;
  uint16_t i_xattr_icount;  // 0, or 1 + (inline xattr bytes - 12) / 4
  uint16_t i_mode;
  uint16_t i_reserved;
  uint64_t i_size;
  uint32_t i_u;  // raw_blkaddr (flat layouts) or rdev (devices)
  uint32_t i_ino;
  uint32_t i_uid;
  uint32_t i_gid;
  uint64_t i_mtime;
  uint32_t i_mtime_nsec;
  uint32_t i_nlink;
  uint8_t i_reserved2[16];
};
static_assert(sizeof(InodeExtended) == 64);
static_assert(offsetof(InodeExtended, i_size) == 8);
static_assert(offsetof(InodeExtended, i_u) == 16);
static_assert(offsetof(InodeExtended, i_uid) == 24);
static_assert(offsetof(InodeExtended, i_mtime) == 32);
static_assert(offsetof(InodeExtended, i_nlink) == 44);

// struct erofs_xattr_ibody_header (12 bytes), then the entries.
struct XattrIbodyHeader {
  uint32_t h_name_filter;  // only read with EROFS_FEATURE_COMPAT_XATTR_FILTER
  uint8_t h_shared_count;
  uint8_t h_reserved2[7];
};
static_assert(sizeof(XattrIbodyHeader) == 12);

// struct erofs_xattr_entry (4 bytes), then name suffix and value; 4-byte aligned.
struct XattrEntry {
  uint8_t e_name_len;
  uint8_t e_name_index;
  uint16_t e_value_size;
};
static_assert(sizeof(XattrEntry) == 4);

// struct erofs_dirent (12 bytes, packed). A directory block holds all dirents first, then
// the names (no terminator); nameoff of the first dirent / 12 is the count.
struct [[gnu::packed]] Dirent {
  uint64_t nid;
  uint16_t nameoff;
  uint8_t file_type;
  uint8_t reserved;
};
static_assert(sizeof(Dirent) == 12);

static_assert(std::is_trivially_copyable_v<SuperBlock> &&
              std::is_trivially_copyable_v<InodeExtended>);

}  // namespace krata::oci::pack::erofs
