// LinuxEventChannels without Xen: a missing device, a device that rejects the ioctls, and the
// read(2)/write(2) port format checked through a pipe standing in for the device.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "base/unique_handle.h"
#include "xen/evtchn/evtchn.h"

namespace krata::xen::evtchn {
namespace {

TEST(LinuxEvtchnTest, MissingDeviceNamesItAndTheModule) {
  Result<std::unique_ptr<EventChannels>> ec = OpenLinuxEventChannels("/nonexistent/xen/evtchn");
  ASSERT_FALSE(ec.has_value());
  EXPECT_EQ(ec.error().errno_value(), ENOENT);
  std::string msg = ec.error().ToString();
  EXPECT_NE(msg.find("/nonexistent/xen/evtchn"), std::string::npos) << msg;
  EXPECT_NE(msg.find("xen-evtchn"), std::string::npos) << msg;
}

TEST(LinuxEvtchnTest, IoctlErrorsNameTheIoctlAndKeepErrno) {
  // /dev/null accepts open, read and write but no ioctl: every ioctl fails with ENOTTY.
  std::unique_ptr<EventChannels> ec = MUST(OpenLinuxEventChannels("/dev/null"));
  Result<Port> bind = ec->BindUnbound(3);
  ASSERT_FALSE(bind.has_value());
  EXPECT_EQ(bind.error().errno_value(), ENOTTY);
  EXPECT_EQ(bind.error().op(), "ioctl(EVTCHN_BIND_UNBOUND_PORT)");
  EXPECT_NE(bind.error().ToString().find("domain 3"), std::string::npos);

  Result<Port> inter = ec->BindInterdomain(4, Port{7});
  ASSERT_FALSE(inter.has_value());
  EXPECT_EQ(inter.error().op(), "ioctl(EVTCHN_BIND_INTERDOMAIN)");
  EXPECT_EQ(ec->BindVirq(3).error().op(), "ioctl(EVTCHN_BIND_VIRQ)");
  Result<void> notify = ec->Notify(Port{9});
  ASSERT_FALSE(notify.has_value());
  EXPECT_EQ(notify.error().errno_value(), ENOTTY);
  EXPECT_NE(notify.error().ToString().find("port 9"), std::string::npos);
  EXPECT_EQ(ec->Unbind(Port{9}).error().op(), "ioctl(EVTCHN_UNBIND)");
  EXPECT_EQ(ec->Reset().error().op(), "ioctl(EVTCHN_RESET)");
  EXPECT_EQ(ec->RestrictToDomain(5).error().op(), "ioctl(EVTCHN_RESTRICT_DOMID)");
  // read(2) at EOF: nothing fired.
  EXPECT_TRUE(MUST(ec->ReadPending()).empty());
}

class PipeDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    read_end_.reset(fds[0]);
    write_end_.reset(fds[1]);
    // Opening the pipe by its /proc name gives a fresh O_RDWR, O_NONBLOCK description, as
    // OpenLinuxEventChannels opens the device.
    ec_ = MUST(OpenLinuxEventChannels("/proc/self/fd/" + std::to_string(read_end_.get())));
  }
  void Put(const void* data, size_t len) {
    ASSERT_EQ(::write(write_end_.get(), data, len), static_cast<ssize_t>(len));
  }

  UniqueFd read_end_, write_end_;
  std::unique_ptr<EventChannels> ec_;
};

TEST_F(PipeDeviceTest, ReadsHostOrderPortsAndNeverBlocks) {
  EXPECT_TRUE(MUST(ec_->ReadPending()).empty());  // EAGAIN: nothing yet
  uint32_t ports[] = {7, 0x12345678};
  Put(ports, sizeof ports);
  std::vector<Port> got = MUST(ec_->ReadPending());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].value, 7u);
  EXPECT_EQ(got[1].value, 0x12345678u);
}

TEST_F(PipeDeviceTest, PartialPortIsAnError) {
  uint8_t bytes[6] = {1, 0, 0, 0, 2, 0};
  Put(bytes, sizeof bytes);
  Result<std::vector<Port>> got = ec_->ReadPending();
  ASSERT_FALSE(got.has_value());
  EXPECT_NE(got.error().ToString().find("partial port"), std::string::npos);
}

TEST_F(PipeDeviceTest, UnmaskWritesPortsBackInPageSizedChunks) {
  std::vector<Port> ports;
  for (uint32_t i = 1; i <= 1500; ++i) ports.push_back(Port{i});  // more than one page
  ASSERT_TRUE(ec_->UnmaskAll(ports).has_value());
  ASSERT_TRUE(ec_->Unmask(Port{9}).has_value());
  std::vector<uint32_t> echoed(1501);
  ASSERT_EQ(::read(read_end_.get(), echoed.data(), echoed.size() * 4),
            static_cast<ssize_t>(echoed.size() * 4));
  for (uint32_t i = 0; i < 1500; ++i) ASSERT_EQ(echoed[i], i + 1);
  EXPECT_EQ(echoed[1500], 9u);
}

}  // namespace
}  // namespace krata::xen::evtchn
