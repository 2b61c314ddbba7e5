// krata-xs: a tiny static xenstore client for guests and dom0 scripts:
//   krata-xs read PATH | write PATH VALUE | rm PATH | ls PATH
// Inside a guest it talks through /dev/xen/xenbus; relative paths are relative to the
// domain's own /local/domain/<domid>.

#include <cstdio>
#include <cstring>
#include <string>

#include "xen/store/client.h"

int main(int argc, char** argv) {
  using krata::xen::store::XsClient;
  auto usage = [] {
    std::fputs("usage: krata-xs read PATH | write PATH VALUE | rm PATH | ls PATH\n", stderr);
    return 2;
  };
  if (argc < 3) return usage();
  std::string op = argv[1], path = argv[2];
  krata::Result<XsClient> xs = XsClient::ConnectDefault();
  if (!xs.has_value()) {
    std::fprintf(stderr, "krata-xs: %s\n", xs.error().ToString().c_str());
    return 1;
  }
  krata::Status status;
  if (op == "read" && argc == 3) {
    krata::Result<std::string> v = xs->Read(path);
    if (v.has_value()) std::printf("%s\n", v->c_str());
    status = v.has_value() ? krata::Status() : krata::Status(v.error());
  } else if (op == "write" && argc == 4) {
    status = xs->Write(path, argv[3]);
  } else if (op == "rm" && argc == 3) {
    status = xs->Rm(path);
  } else if (op == "ls" && argc == 3) {
    auto v = xs->Directory(path);
    if (v.has_value()) {
      for (const auto& e : *v) std::printf("%s\n", e.c_str());
    }
    status = v.has_value() ? krata::Status() : krata::Status(v.error());
  } else {
    return usage();
  }
  if (!status.has_value()) {
    std::fprintf(stderr, "krata-xs: %s\n", status.error().ToString().c_str());
    return 1;
  }
  return 0;
}
