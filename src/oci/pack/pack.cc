#include "oci/pack/pack.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "base/checked.h"
#include "base/eintr.h"
#include "base/file.h"
#include "base/log.h"
#include "oci/pack/merge_tree.h"

namespace krata::oci::pack {

namespace {

constexpr uint64_t kProgressEntries = 256;
constexpr uint64_t kProgressBytes = 1 << 20;

struct OpenLayer {
  UniqueFd owned;
  int fd = -1;
  LayerFormat format = LayerFormat::kDetect;
  uint64_t size = 0;
};

Result<std::vector<OpenLayer>> OpenLayers(const std::vector<Layer>& layers) {
  std::vector<OpenLayer> out;
  out.reserve(layers.size());
  for (const Layer& l : layers) {
    OpenLayer o;
    o.format = l.format;
    if (l.fd >= 0) {
      o.fd = l.fd;
    } else {
      o.owned = TRY(OpenFile(l.path, O_RDONLY));
      o.fd = o.owned.get();
    }
    struct stat st {};
    if (fstat(o.fd, &st) != 0) return Error::FromErrno("fstat", errno, l.path);
    o.size = static_cast<uint64_t>(st.st_size);
    out.push_back(std::move(o));
  }
  return out;
}

Result<LayerReader> Rewind(const OpenLayer& l, size_t index) {
  if (lseek(l.fd, 0, SEEK_SET) != 0) return Error::FromErrno("lseek", errno, "layer");
  return LayerReader::Open(l.fd, l.format, "layer " + std::to_string(index));
}

// Throttled progress reporting.
class Reporter {
 public:
  Reporter(const ProgressFn& fn, size_t layer_count) : fn_(fn) { p_.layer_count = layer_count; }
  void Start(PackPhase phase, size_t layer, uint64_t total) {
    p_.phase = phase;
    p_.layer = layer;
    p_.layer_bytes_total = total;
    p_.layer_bytes_read = 0;
    p_.entries = 0;
    Emit();
  }
  PackProgress& state() { return p_; }
  void Tick(uint64_t bytes_read) {
    p_.layer_bytes_read = bytes_read;
    if (p_.entries - last_entries_ >= kProgressEntries ||
        p_.layer_bytes_read - last_bytes_ >= kProgressBytes) {
      Emit();
    }
  }
  void Emit() {
    last_entries_ = p_.entries;
    last_bytes_ = p_.layer_bytes_read;
    if (fn_) fn_(p_);
  }

 private:
  const ProgressFn& fn_;
  PackProgress p_;
  uint64_t last_entries_ = 0;
  uint64_t last_bytes_ = 0;
};

// Deletes the temporary output unless committed.
class TempOutput {
 public:
  static Result<TempOutput> Create(const std::string& output) {
    TempOutput t;
    t.path_ = output + ".tmp-XXXXXX";
    int fd = mkostemp(t.path_.data(), O_CLOEXEC);
    if (fd < 0) return Error::FromErrno("mkostemp", errno, t.path_);
    t.fd_ = UniqueFd(fd);
    return t;
  }
  TempOutput() = default;
  TempOutput(TempOutput&& o) noexcept
      : path_(std::move(o.path_)), fd_(std::move(o.fd_)), committed_(o.committed_) {
    o.committed_ = true;
  }
  TempOutput& operator=(TempOutput&&) = delete;
  ~TempOutput() {
    if (!committed_ && !path_.empty()) unlink(path_.c_str());
  }
  int fd() const { return fd_.get(); }
  Status Commit(const std::string& output, uint32_t mode, bool sync) {
    if (fchmod(fd_.get(), mode) != 0) return Error::FromErrno("fchmod", errno, path_);
    if (sync && RetryEintr([&] { return fsync(fd_.get()); }) != 0) {
      return Error::FromErrno("fsync", errno, path_);
    }
    if (rename(path_.c_str(), output.c_str()) != 0) {
      return Error::FromErrno("rename", errno, output);
    }
    committed_ = true;
    return {};
  }

 private:
  std::string path_;
  UniqueFd fd_;
  bool committed_ = false;
};

Status ScanLayers(const std::vector<OpenLayer>& layers, const PackOptions& options, MergeTree& tree,
                  Reporter& rep, uint64_t& skipped) {
  uint64_t data_total = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    LayerReader reader = TRY(Rewind(layers[i], i));
    rep.Start(PackPhase::kScan, i, layers[i].size);
    std::vector<LayerEntry> entries;
    for (;;) {
      std::optional<LayerEntry> e = TRY(reader.Next());
      if (!e) break;
      if (entries.size() >= options.max_entries) {
        return Error::Invalid("pack", "too many members").With("layer " + std::to_string(i));
      }
      std::optional<uint64_t> sum = CheckedAdd(data_total, e->size);
      if (!sum || *sum > options.max_data_bytes) {
        return Error::Invalid("pack", "layers hold more data than allowed")
            .With("layer " + std::to_string(i));
      }
      data_total = *sum;
      entries.push_back(std::move(*e));
      ++rep.state().entries;
      rep.Tick(reader.bytes_read());
    }
    skipped += reader.skipped();
    rep.state().layer_bytes_read = reader.bytes_read();
    rep.Emit();
    TRY(tree.ApplyLayer(static_cast<uint32_t>(i), entries));
  }
  tree.Freeze();
  return {};
}

// Closes and unlinks a layer the packer opened itself (PackOptions::consume_layers).
void Consume(std::vector<OpenLayer>& layers, const std::vector<Layer>& specs, size_t i) {
  if (!layers[i].owned) return;
  layers[i].owned = UniqueFd();
  layers[i].fd = -1;
  ::unlink(specs[i].path.c_str());
}

// Pass 2 for one layer: feeds the members whose data survived the merge to the writer.
Status CopyLayer(const OpenLayer& layer, size_t i, const std::vector<DataSource>& sources,
                 ImageWriter& writer, Reporter& rep) {
  LayerReader reader = TRY(Rewind(layer, i));
  rep.Start(PackPhase::kData, i, layer.size);
  size_t next = 0;
  while (next < sources.size()) {
    std::optional<LayerEntry> e = TRY(reader.Next());
    if (!e) break;
    if (e->ordinal != sources[next].ordinal) continue;
    const Inode& inode = *sources[next].inode;
    if (e->type != EntryType::kRegular || e->size != inode.size) {
      return Error::Invalid("pack", "layer changed between passes")
          .With("layer " + std::to_string(i));
    }
    auto sink = [&](ByteSpan chunk) -> Status {
      TRY(writer.Append(chunk));
      rep.state().data_bytes += chunk.size();
      return {};
    };
    TRY(writer.BeginFile(inode));
    TRY(reader.ReadData(sink));
    TRY(writer.EndFile());
    ++next;
    ++rep.state().entries;
    rep.Tick(reader.bytes_read());
  }
  if (next != sources.size()) {
    return Error::Invalid("pack", "layer ended early on the second pass")
        .With("layer " + std::to_string(i));
  }
  rep.state().layer_bytes_read = reader.bytes_read();
  rep.Emit();
  return {};
}

// Inodes of empty files need no data; the writer creates them. Files with data but no member
// seen are caught by the writer's size check.
Status CopyData(std::vector<OpenLayer>& layers, const std::vector<Layer>& specs,
                const PackOptions& options, const MergeTree& tree, ImageWriter& writer,
                Reporter& rep) {
  for (size_t i = 0; i < layers.size(); ++i) {
    std::vector<DataSource> sources = tree.DataSources(static_cast<uint32_t>(i));
    if (!sources.empty()) TRY(CopyLayer(layers[i], i, sources, writer, rep));
    if (options.consume_layers) Consume(layers, specs, i);
  }
  return {};
}

Result<std::unique_ptr<ImageWriter>> CreateWriter(int fd, const PackOptions& options,
                                                  uint32_t inode_count) {
  switch (options.format) {
    case ImageFormat::kSquashfs:
      return std::unique_ptr<ImageWriter>(
          TRY(SquashfsWriter::Create(fd, options.squashfs, inode_count)));
    case ImageFormat::kErofs:
      return std::unique_ptr<ImageWriter>(TRY(ErofsWriter::Create(fd, options.erofs, inode_count)));
  }
  return Error::Invalid("pack", "unknown image format");
}

}  // namespace

const char* ImageFormatName(ImageFormat f) {
  return f == ImageFormat::kErofs ? "erofs" : "squashfs";
}

std::optional<ImageFormat> ParseImageFormat(std::string_view name) {
  if (name == "squashfs") return ImageFormat::kSquashfs;
  if (name == "erofs") return ImageFormat::kErofs;
  return std::nullopt;
}

Result<PackResult> PackSquashfs(const std::vector<Layer>& layers, const std::string& output,
                                const PackOptions& options, const ProgressFn& progress) {
  PackOptions o = options;
  o.format = ImageFormat::kSquashfs;
  return PackImage(layers, output, o, progress);
}

Result<PackResult> PackImage(const std::vector<Layer>& layers, const std::string& output,
                             const PackOptions& options, const ProgressFn& progress) {
  std::vector<OpenLayer> open = TRY(OpenLayers(layers));
  Reporter rep(progress, layers.size());
  MergeTree tree(options.max_entries);
  PackResult result;
  TRY(ScanLayers(open, options, tree, rep, result.skipped_members));

  TempOutput tmp = TRY(TempOutput::Create(output));
  std::unique_ptr<ImageWriter> writer = TRY(CreateWriter(tmp.fd(), options, tree.inode_count()));
  TRY(CopyData(open, layers, options, tree, *writer, rep));
  rep.Start(PackPhase::kFinish, layers.size(), 0);
  ImageStats st = TRY(writer->Finish(tree));
  writer.reset();
  TRY(tmp.Commit(output, options.file_mode, options.sync));
  rep.Start(PackPhase::kDone, layers.size(), 0);

  result.image_bytes = st.bytes;
  result.inodes = st.inodes;
  result.paths = tree.entry_count();
  result.data_bytes = st.data_bytes_in;
  result.xattrs_dropped = st.xattrs_dropped;
  return result;
}

}  // namespace krata::oci::pack
