#pragma once
// An OCI image layout (image-spec image-layout.md): "oci-layout" with imageLayoutVersion
// 1.0.0, index.json, blobs/<alg>/<hex>, read through a BlobStore (directory or tar).

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "oci/local/blob_store.h"
#include "oci/local/image_source.h"
#include "oci/manifest.h"

namespace krata::oci::local {

// The annotation naming an index.json entry (image-spec annotations.md).
inline constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";

// The index.json entry for `tag`: the entries annotated with that ref name (several: chosen
// by platform); with no tag, the only entry. Errors list the names available.
Result<Descriptor> SelectLayoutEntry(const Index& index, const std::string& tag,
                                     const Platform& wanted);

// Checks the oci-layout file now so a wrong directory fails at open time.
Result<std::unique_ptr<ImageSource>> OpenOciLayout(std::unique_ptr<BlobStore> store,
                                                   std::string tag);

}  // namespace krata::oci::local
