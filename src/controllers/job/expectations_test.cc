// Tests for the in-flight create/delete bookkeeping.
#include "controllers/job/expectations.h"

#include <gtest/gtest.h>

namespace skiff::controllers::job {
namespace {

PodView Listed(std::string name, bool deleting = false) {
  PodView p;
  p.name = std::move(name);
  p.deleting = deleting;
  return p;
}

TEST(Expectations, CreatesStayInFlightUntilListed) {
  FakeClock clock;
  Expectations e(&clock);
  e.ExpectCreate("ns/j", "j-0-abc", 0);
  e.ExpectCreate("ns/j", "j-xyz", -1);
  InFlight f = e.Observe("ns/j", {});
  EXPECT_EQ(f.create_indexes, (IndexSet{0}));
  EXPECT_EQ(f.creates, 1);
  f = e.Observe("ns/j", {Listed("j-0-abc")});
  EXPECT_TRUE(f.create_indexes.empty());
  EXPECT_EQ(f.creates, 1);
  EXPECT_EQ(e.Observe("other", {}).creates, 0);
}

TEST(Expectations, DeletesStayUntilGoneOrTerminating) {
  FakeClock clock;
  Expectations e(&clock);
  e.ExpectDelete("ns/j", "p1");
  e.ExpectDelete("ns/j", "p2");
  InFlight f = e.Observe("ns/j", {Listed("p1"), Listed("p2", true)});
  EXPECT_EQ(f.deletes, (std::set<std::string>{"p1"}));
  f = e.Observe("ns/j", {});
  EXPECT_TRUE(f.deletes.empty());
}

TEST(Expectations, ExpireAndForget) {
  FakeClock clock;
  Expectations e(&clock, std::chrono::seconds(30));
  e.ExpectCreate("ns/j", "a", -1);
  clock.Advance(std::chrono::seconds(29));
  EXPECT_EQ(e.Observe("ns/j", {}).creates, 1);
  clock.Advance(std::chrono::seconds(2));
  EXPECT_EQ(e.Observe("ns/j", {}).creates, 0);
  e.ExpectCreate("ns/j", "b", -1);
  e.Forget("ns/j");
  EXPECT_EQ(e.Observe("ns/j", {}).creates, 0);
}

}  // namespace
}  // namespace skiff::controllers::job
