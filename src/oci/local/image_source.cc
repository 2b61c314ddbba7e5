#include "oci/local/image_source.h"

#include <utility>

#include "oci/local/blob_store.h"
#include "oci/local/docker_archive.h"
#include "oci/local/oci_layout.h"

namespace krata::oci::local {

Result<std::unique_ptr<ImageSource>> OpenLocalSource(const ImageReference& ref) {
  switch (ref.transport) {
    case Transport::kOciLayout:
      return OpenOciLayout(OpenDirStore(ref.path, "oci:" + ref.path), ref.tag);
    case Transport::kOciArchive:
      return OpenOciLayout(TRY(OpenTarStore(ref.path, "oci-archive:" + ref.path)), ref.tag);
    case Transport::kDockerArchive:
      return OpenDockerArchive(TRY(OpenTarStore(ref.path, "docker-archive:" + ref.path)),
                               ref.tag);
    case Transport::kDocker:
      break;
  }
  return Error::Invalid("open image", ref.ToString() + " is not a local image");
}

}  // namespace krata::oci::local
