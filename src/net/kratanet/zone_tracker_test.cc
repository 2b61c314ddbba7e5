#include "net/kratanet/zone_tracker.h"

#include <gtest/gtest.h>

namespace krata::net::kratanet {
namespace {

DesiredZone Zone(const std::string& id, int n, const std::string& forwards = "") {
  std::string spec = "vif" + std::to_string(n) + ".0,02:00:00:00:00:" + std::to_string(10 + n) +
                     ",10.75.0." + std::to_string(n) + ",fd00::" + std::to_string(n) + forwards;
  DesiredZone z = *ParseZoneSpec(spec);
  z.id = z.addrs.name = id;
  return z;
}

// "+id" for attach, "-id" for detach.
std::vector<std::string> Names(const std::vector<ZoneAction>& actions) {
  std::vector<std::string> out;
  for (const ZoneAction& a : actions) {
    out.push_back((a.kind == ZoneAction::Kind::kAttach ? "+" : "-") + a.zone.id + "@" +
                  a.zone.ifname);
  }
  return out;
}

TEST(KratanetZoneTrackerTest, ReplaceDiffsAgainstWhatIsAttached) {
  ZoneTracker t;
  EXPECT_EQ(Names(t.Replace({Zone("a", 1), Zone("b", 2)})),
            (std::vector<std::string>{"+a@vif1.0", "+b@vif2.0"}));
  EXPECT_TRUE(Names(t.Replace({Zone("b", 2), Zone("a", 1)})).empty());
  // b vanished, c is new, a restarted with another domid: detaches come first.
  EXPECT_EQ(Names(t.Replace({Zone("a", 5), Zone("c", 3)})),
            (std::vector<std::string>{"-b@vif2.0", "-a@vif1.0", "+a@vif5.0", "+c@vif3.0"}));
  EXPECT_EQ(t.zones().size(), 2u);
  EXPECT_EQ(Names(t.Replace({})), (std::vector<std::string>{"-a@vif5.0", "-c@vif3.0"}));
}

TEST(KratanetZoneTrackerTest, UpdateAttachesChangesAndDetaches) {
  ZoneTracker t;
  EXPECT_EQ(Names(t.Update("a", Zone("a", 1))), (std::vector<std::string>{"+a@vif1.0"}));
  EXPECT_TRUE(Names(t.Update("a", Zone("a", 1))).empty());  // same zone again: nothing
  EXPECT_EQ(Names(t.Update("a", Zone("a", 1, ",80:8080"))),
            (std::vector<std::string>{"-a@vif1.0", "+a@vif1.0"}));
  EXPECT_EQ(t.zones().at("a").forwards.size(), 1u);
  EXPECT_EQ(Names(t.Update("a", std::nullopt)), (std::vector<std::string>{"-a@vif1.0"}));
  EXPECT_TRUE(Names(t.Update("a", std::nullopt)).empty());  // unknown: nothing
  EXPECT_TRUE(t.zones().empty());
}

TEST(KratanetZoneTrackerTest, LabelChangeIsKeptWithoutReattaching) {
  ZoneTracker t;
  (void)t.Update("a", Zone("a", 1));
  DesiredZone renamed = Zone("a", 1);
  renamed.label = "web (a)";
  EXPECT_TRUE(t.Update("a", renamed).empty());
  EXPECT_EQ(t.zones().at("a").label, "web (a)");
}

}  // namespace
}  // namespace krata::net::kratanet
