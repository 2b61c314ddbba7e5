// OpenLinuxRuntime's sequence on the fakes: FakePrivcmd (domains), FakeXenstored, the fake
// grant table and event channels, and real loop devices (skipped where there are none).

#include "runtime/linux_runtime.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "base/file.h"
#include "runtime/loop.h"
#include "xen/abi/domctl.h"
#include "xen/boot/testing.h"
#include "xen/call/fake_privcmd.h"
#include "xen/console/ring.h"
#include "xen/evtchn/fake_evtchn.h"
#include "xen/gnttab/fake_gnttab.h"
#include "xen/store/fake_xenstored.h"

namespace krata::runtime {
namespace {

namespace fs = std::filesystem;
using xen::store::Access;
using xen::store::Perm;

constexpr char kZone[] = "0b9c2e64-7d0f-4c55-9a33-5b1d2f6a7e80";

void WriteBytes(const std::string& path, std::string_view bytes) {
  Result<UniqueFd> fd = OpenFile(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_TRUE(fd.has_value());
  ASSERT_TRUE(WriteAll(fd->get(), bytes).has_value());
}

class LinuxRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access("/dev/loop-control", R_OK | W_OK) != 0) {
      GTEST_SKIP() << "no usable /dev/loop-control (needs root and the loop driver)";
    }
    char tmpl[] = "/tmp/krata-runtime-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
    xen::boot::testing::Bytes k = xen::boot::testing::SmallPvKernel();
    WriteBytes(tmp_ + "/kernel",
               std::string_view(reinterpret_cast<const char*>(k.data()), k.size()));
    WriteBytes(tmp_ + "/initrd", std::string(5000, 'I'));
    WriteBytes(tmp_ + "/image.squashfs", std::string(8192, 'S'));
  }
  void TearDown() override {
    rt_.reset();
    if (!tmp_.empty()) fs::remove_all(tmp_);
  }

  // The runtime over fakes; `free_pages` of the fake host.
  void Open(uint64_t free_pages = 100000) {
    xen::FakeHost fh;
    fh.free_pages = free_pages;
    auto privcmd = std::make_unique<xen::FakePrivcmd>(fh);
    fake_xen_ = &privcmd->xen();
    LinuxRuntimeParts parts;
    parts.host.privcmd = std::move(privcmd);
    parts.host.xc = std::make_unique<xen::XenCall>(*parts.host.privcmd);
    parts.host.dc = std::make_unique<xen::DomainControl>(*parts.host.xc);
    parts.host.xs = std::make_unique<xen::store::XsClient>(xsd_.TakeClientTransport());
    auto grants = std::make_unique<xen::gnttab::FakeGrantTable>();
    grants_ = grants.get();
    parts.host.grants = std::move(grants);
    parts.host.events = events_.Open(0);
    parts.change_xs = std::make_unique<xen::store::XsClient>(xsd_.TakeClientTransport());
    parts.destroy_xs = std::make_unique<xen::store::XsClient>(xsd_.TakeClientTransport());
    parts.kernel_cache_dir = tmp_ + "/cache";
    Result<std::unique_ptr<Runtime>> rt = MakeLinuxRuntime(std::move(parts), {tmp_ + "/store"});
    ASSERT_TRUE(rt.has_value()) << rt.error().ToString();
    rt_ = std::move(*rt);
  }

  // The guest side the fakes cannot create on their own: the console grant (ref 0) and an
  // unbound port 1 in the event channel fake, matching the builder's first port in FakeXen.
  void PrepareGuestConsole(uint16_t domid) {
    Result<std::span<std::byte>> page =
        grants_->AddGrant(domid, xen::gnttab::GrantRef{0}, xen::gnttab::Access::kReadWrite);
    ASSERT_TRUE(page.has_value());
    console_page_ = *page;
    ASSERT_EQ(events_.AllocUnbound(domid, 0)->value, 1u);
  }

  LaunchRequest Request() {
    LaunchRequest r;
    r.zone_id = kZone;
    r.image_path = tmp_ + "/image.squashfs";
    r.config.zone_id = kZone;
    r.config.hostname = "web";
    r.assets.kernel_path = tmp_ + "/kernel";
    r.assets.initrd_path = tmp_ + "/initrd";
    r.memory_mib = 64;
    r.cmdline_append = "krata.debug=1";
    return r;
  }

  std::vector<int> ImageLoops() { return *FindLoopsByBackingFile(tmp_ + "/image.squashfs"); }
  bool ZoneDirExists() { return fs::exists(tmp_ + "/store/zones/" + kZone); }
  std::vector<xen::DomId> LiveDomains() {
    std::vector<xen::DomId> out;
    for (xen::DomId d : fake_xen_->domids()) {
      if (d != 0 && !fake_xen_->domain(d)->dying) out.push_back(d);
    }
    return out;
  }

  std::string tmp_;
  xen::store::FakeXenstored xsd_;
  xen::evtchn::FakeEventChannelHub events_;
  xen::gnttab::FakeGrantTable* grants_ = nullptr;
  xen::FakeXen* fake_xen_ = nullptr;
  std::span<std::byte> console_page_;  // the guest's view of its console ring
  std::unique_ptr<Runtime> rt_;
};

TEST_F(LinuxRuntimeTest, LaunchWritesTheZoneTreeAndDestroyLeavesNothing) {
  Open();
  PrepareGuestConsole(1);
  Result<DomId> domid = rt_->Launch(Request());
  ASSERT_TRUE(domid.has_value()) << domid.error().ToString();
  ASSERT_EQ(*domid, 1);
  const std::string dom = "/local/domain/1";
  EXPECT_EQ(xsd_.Get(dom + "/name"), std::string("krata-") + kZone);
  EXPECT_EQ(xsd_.Get(dom + "/krata/uuid"), kZone);
  EXPECT_EQ(xsd_.Get(dom + "/krata/name"), std::string("krata-") + kZone);
  EXPECT_EQ(xsd_.Get(std::string("/vm/") + kZone + "/image/cmdline"),
            "console=hvc0 quiet krata.debug=1");
  EXPECT_EQ(xsd_.GetPerms(dom + "/krata/uuid"),
            (std::vector<Perm>{{0, Access::kNone}, {1, Access::kRead}}));
  EXPECT_EQ(xsd_.GetPerms(dom + "/krata/zone"), (std::vector<Perm>{{1, Access::kNone}}));
  // xvda = the image, xvdb = config.img, both read-only loops.
  std::vector<int> image_loops = ImageLoops();
  ASSERT_EQ(image_loops.size(), 1u);
  const std::string config = tmp_ + "/store/zones/" + kZone + "/config.img";
  std::vector<int> config_loops = *FindLoopsByBackingFile(config);
  ASSERT_EQ(config_loops.size(), 1u);
  const std::string be = "/local/domain/0/backend/vbd/1/";
  char hex[16];
  std::snprintf(hex, sizeof hex, "%x", image_loops[0]);  // loop minors are the numbers
  EXPECT_EQ(xsd_.Get(be + "51712/physical-device"), "7:" + std::string(hex));
  EXPECT_EQ(xsd_.Get(be + "51712/mode"), "r");
  EXPECT_EQ(xsd_.Get(be + "51728/physical-device-path"),
            "/dev/loop" + std::to_string(config_loops[0]));
  EXPECT_EQ(xsd_.Get(dom + "/device/vbd/51728/backend"), be + "51728");
  EXPECT_EQ(xsd_.Get(dom + "/krata/loops"),
            "/dev/loop" + std::to_string(image_loops[0]) + ":" + tmp_ + "/image.squashfs:none," +
                "/dev/loop" + std::to_string(config_loops[0]) + ":" + config + ":none");
  EXPECT_TRUE(xsd_.Introduced(1).has_value());
  EXPECT_EQ(fake_xen_->domain(1)->pause_count, 0u);  // running

  // Relaunching a live zone is refused and changes nothing.
  EXPECT_FALSE(rt_->Launch(Request()).has_value());
  EXPECT_EQ(LiveDomains(), std::vector<xen::DomId>{1});

  Result<std::vector<ZoneDomain>> zones = rt_->List();
  ASSERT_TRUE(zones.has_value());
  ASSERT_EQ(zones->size(), 1u);
  EXPECT_EQ((*zones)[0].zone_id, kZone);
  EXPECT_FALSE((*zones)[0].shut_down);
  EXPECT_FALSE((*zones)[0].exit.has_value());

  // Graceful stop request, then the guest reports and powers off.
  ASSERT_TRUE(rt_->RequestShutdown(kZone).has_value());
  EXPECT_EQ(xsd_.Get(dom + "/control/shutdown"), "poweroff");
  xsd_.Set(dom + "/krata/zone/exit-code", "3");
  fake_xen_->ShutdownDomain(1, 0);
  zones = rt_->List();
  ASSERT_TRUE(zones.has_value());
  ASSERT_EQ(zones->size(), 1u);
  EXPECT_TRUE((*zones)[0].shut_down);
  ASSERT_TRUE((*zones)[0].exit.has_value());
  EXPECT_EQ((*zones)[0].exit->code, 3);

  ASSERT_TRUE(rt_->Destroy(kZone).has_value());
  EXPECT_TRUE(LiveDomains().empty());
  EXPECT_FALSE(xsd_.Has(dom));
  EXPECT_FALSE(xsd_.Has("/local/domain/0/backend/vbd/1"));
  EXPECT_FALSE(xsd_.Has(std::string("/vm/") + kZone));
  EXPECT_TRUE(ImageLoops().empty());
  EXPECT_FALSE(ZoneDirExists());
  EXPECT_EQ(grants_->live_mappings(), 0u);
  EXPECT_TRUE(rt_->List()->empty());
  // Idempotent; and unknown zones cannot be asked to stop.
  EXPECT_TRUE(rt_->Destroy(kZone).has_value());
  EXPECT_FALSE(rt_->RequestShutdown(kZone).has_value());
}

TEST_F(LinuxRuntimeTest, ConsoleOutputReachesTheHandler) {
  Open();
  PrepareGuestConsole(1);
  std::mutex mu;
  std::condition_variable cv;
  std::string got;
  rt_->SetConsoleHandler([&](const std::string& id, std::string_view bytes) {
    std::lock_guard lock(mu);
    if (id == kZone) got.append(bytes);
    cv.notify_all();
  });
  ASSERT_TRUE(rt_->Launch(Request()).has_value());
  // The guest (hvc_xen) writes to the out ring and notifies on its console port (1).
  const std::string hello = "hello from the zone\n";
  std::memcpy(console_page_.data() + xen::console::kInSize, hello.data(), hello.size());
  uint32_t prod = static_cast<uint32_t>(hello.size());
  std::memcpy(console_page_.data() + xen::console::kOutProdOffset, &prod, 4);
  ASSERT_TRUE(events_.Send(1, xen::evtchn::Port{1}).has_value());
  {
    std::unique_lock lock(mu);
    EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return got == hello; }));
  }
  ASSERT_TRUE(rt_->WriteConsole(kZone, "ls\n").has_value());
  uint32_t in_prod;
  std::memcpy(&in_prod, console_page_.data() + xen::console::kInProdOffset, 4);
  EXPECT_EQ(in_prod, 3u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(console_page_.data()), 3), "ls\n");
  EXPECT_FALSE(rt_->WriteConsole("other", "x").has_value());
  fake_xen_->ShutdownDomain(1, 0);  // nobody plays blkfront: no close handshake to wait for
  ASSERT_TRUE(rt_->Destroy(kZone).has_value());
  EXPECT_FALSE(rt_->WriteConsole(kZone, "x").has_value());
}

TEST_F(LinuxRuntimeTest, FailedBuildLeavesNoDomainLoopFileOrNode) {
  Open(/*free_pages=*/1000);  // 4 MiB: not enough for a 64 MiB guest
  Result<DomId> domid = rt_->Launch(Request());
  ASSERT_FALSE(domid.has_value());
  EXPECT_TRUE(LiveDomains().empty());
  EXPECT_TRUE(ImageLoops().empty());
  EXPECT_FALSE(ZoneDirExists());
  EXPECT_FALSE(xsd_.Has("/local/domain/1"));
  EXPECT_FALSE(xsd_.Has("/local/domain/0/backend"));
}

TEST_F(LinuxRuntimeTest, FailedConsoleAttachDestroysTheBuiltDomain) {
  Open();  // no console grant prepared: attaching the console fails after the build
  ASSERT_FALSE(rt_->Launch(Request()).has_value());
  EXPECT_TRUE(LiveDomains().empty());
  EXPECT_TRUE(ImageLoops().empty());
  EXPECT_FALSE(ZoneDirExists());
  EXPECT_FALSE(xsd_.Has("/local/domain/1"));
  EXPECT_FALSE(xsd_.Has("/local/domain/0/backend/vbd/1"));
}

TEST_F(LinuxRuntimeTest, BadKernelOrImageFailsBeforeXen) {
  Open();
  LaunchRequest r = Request();
  r.assets.kernel_path = tmp_ + "/initrd";  // not a kernel
  EXPECT_FALSE(rt_->Launch(r).has_value());
  r = Request();
  r.image_path = tmp_ + "/missing.squashfs";
  EXPECT_FALSE(rt_->Launch(r).has_value());
  EXPECT_FALSE(ZoneDirExists());
  EXPECT_TRUE(
      FindLoopsByBackingFile(tmp_ + "/store/zones/" + std::string(kZone) + "/config.img")->empty());
  EXPECT_TRUE(LiveDomains().empty());
  r = Request();
  r.zone_id = "../escape";
  EXPECT_FALSE(rt_->Launch(r).has_value());
}

TEST_F(LinuxRuntimeTest, NetworkConfigGivesTheZoneAVif) {
  Open();
  PrepareGuestConsole(1);
  LaunchRequest r = Request();
  zone::NetworkConfig net;
  net.mac = "02:12:34:56:78:9a";
  net.ipv4 = "10.75.0.3/16";
  net.gateway4 = "10.75.0.1";
  r.config.network = net;
  Result<DomId> domid = rt_->Launch(r);
  ASSERT_TRUE(domid.has_value()) << domid.error().ToString();
  const std::string fe = "/local/domain/1/device/vif/0";
  const std::string be = "/local/domain/0/backend/vif/1/0";
  EXPECT_EQ(xsd_.Get(fe + "/mac"), "02:12:34:56:78:9a");
  EXPECT_EQ(xsd_.Get(fe + "/backend"), be);
  EXPECT_EQ(xsd_.Get(be + "/mac"), "02:12:34:56:78:9a");
  EXPECT_EQ(xsd_.Get(be + "/frontend-id"), "1");
  EXPECT_EQ(xsd_.Get(be + "/hotplug-status"), "connected");
  fake_xen_->ShutdownDomain(1, 0);  // nobody plays netfront: no close handshake to wait for
  ASSERT_TRUE(rt_->Destroy(kZone).has_value());
  EXPECT_FALSE(xsd_.Has("/local/domain/0/backend/vif/1"));
  EXPECT_FALSE(xsd_.Has("/local/domain/1"));
}

TEST_F(LinuxRuntimeTest, NoNetworkNoVifAndABadMacLeavesNothing) {
  Open();
  PrepareGuestConsole(1);
  ASSERT_TRUE(rt_->Launch(Request()).has_value());
  EXPECT_FALSE(xsd_.Has("/local/domain/1/device/vif"));
  EXPECT_FALSE(xsd_.Has("/local/domain/0/backend/vif"));
  fake_xen_->ShutdownDomain(1, 0);
  ASSERT_TRUE(rt_->Destroy(kZone).has_value());

  LaunchRequest r = Request();
  zone::NetworkConfig net;
  net.mac = "not-a-mac";
  r.config.network = net;
  Result<DomId> bad = rt_->Launch(r);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().ToString().find("network"), std::string::npos);
  EXPECT_TRUE(LiveDomains().empty());
  EXPECT_TRUE(ImageLoops().empty());
  EXPECT_FALSE(ZoneDirExists());
}

TEST_F(LinuxRuntimeTest, WaitForChangeSeesReleaseDomain) {
  Open();
  // The watch's initial event, then nothing.
  Result<bool> first = rt_->WaitForChange(std::chrono::seconds(5));
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(*first);
  Result<bool> idle = rt_->WaitForChange(std::chrono::milliseconds(10));
  ASSERT_TRUE(idle.has_value());
  EXPECT_FALSE(*idle);
  xsd_.Set("@releaseDomain", "");  // what xenstored fires on a domain shutdown
  Result<bool> changed = rt_->WaitForChange(std::chrono::seconds(5));
  ASSERT_TRUE(changed.has_value());
  EXPECT_TRUE(*changed);
}

}  // namespace
}  // namespace krata::runtime
