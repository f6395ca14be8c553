// Unit tests of one revision: least-outstanding picking, the hold queue and its release order,
// the cold callback, cancellation and shutdown.
#include "gateway/revision.h"

#include <gtest/gtest.h>

#include "base/time.h"

namespace skiff::gateway {
namespace {

std::vector<EndpointAddress> Addresses(std::initializer_list<const char*> list) {
  std::vector<EndpointAddress> out;
  for (const char* a : list) out.push_back(*ParseEndpointAddress(a));
  return out;
}

TEST(RevisionTest, PicksLeastOutstandingWithRoundRobinTies) {
  FakeClock clock;
  Revision r("ns/r", {}, nullptr, clock);
  r.SetEndpoints(Addresses({"10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"}));
  std::vector<std::shared_ptr<Endpoint>> held;
  // Ties: each endpoint once, in turn.
  for (int i = 0; i < 3; ++i) held.push_back(r.Acquire({}, nullptr).endpoint);
  EXPECT_EQ(held[0]->address.address, "10.0.0.1:80");
  EXPECT_EQ(held[1]->address.address, "10.0.0.2:80");
  EXPECT_EQ(held[2]->address.address, "10.0.0.3:80");
  // .2 finishes: it is now the least loaded, every time.
  r.Release(*held[1]);
  auto next = r.Acquire({}, nullptr).endpoint;
  EXPECT_EQ(next->address.address, "10.0.0.2:80");
  EXPECT_EQ(next->outstanding.load(), 1);
  // Avoiding endpoints that failed, unless nothing else is left.
  const Endpoint* avoid[] = {held[0].get(), held[1].get()};
  EXPECT_EQ(r.Acquire(avoid, nullptr).endpoint->address.address, "10.0.0.3:80");
  const Endpoint* all[] = {held[0].get(), held[1].get(), held[2].get()};
  EXPECT_EQ(r.Acquire(all, nullptr).outcome, Revision::Outcome::kEndpoint);
}

TEST(RevisionTest, KeepsOutstandingCountsAcrossEndpointUpdates) {
  FakeClock clock;
  Revision r("ns/r", {}, nullptr, clock);
  r.SetEndpoints(Addresses({"10.0.0.1:80"}));
  auto busy = r.Acquire({}, nullptr).endpoint;
  r.SetEndpoints(Addresses({"10.0.0.1:80", "10.0.0.2:80", "10.0.0.1:80"}));
  EXPECT_EQ(r.ready_endpoints(), 2u);  // duplicates count once
  for (int i = 0; i < 3; ++i) {
    auto e = r.Acquire({}, nullptr).endpoint;
    EXPECT_EQ(e->address.address, "10.0.0.2:80");
    r.Release(*e);
  }
  r.SetEndpoints(Addresses({"10.0.0.2:80"}));
  EXPECT_TRUE(busy->removed.load());
}

TEST(RevisionTest, HoldsInArrivalOrderAndReportsColdOnce) {
  FakeClock clock;
  std::vector<std::string> cold;
  ActivatorOptions options;
  options.queue_capacity = 3;
  Revision r(
      "ns/r", options, [&](const std::string& n) { cold.push_back(n); }, clock);
  std::vector<int> order;
  std::vector<std::shared_ptr<Endpoint>> got;
  for (int i = 0; i < 3; ++i) {
    auto a = r.Acquire({}, [&, i](std::shared_ptr<Endpoint> e) {
      order.push_back(i);
      got.push_back(std::move(e));
    });
    EXPECT_EQ(a.outcome, Revision::Outcome::kHeld);
  }
  EXPECT_EQ(r.Acquire({}, [](auto) {}).outcome, Revision::Outcome::kQueueFull);
  EXPECT_EQ(cold, std::vector<std::string>{"ns/r"});
  EXPECT_EQ(r.held(), 3u);
  EXPECT_TRUE(order.empty());
  clock.Advance(std::chrono::milliseconds(250));
  r.SetEndpoints(Addresses({"10.0.0.1:80", "10.0.0.2:80"}));
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
  ASSERT_EQ(got.size(), 3u);
  // Released requests are spread by least outstanding too.
  EXPECT_NE(got[0]->address.address, got[1]->address.address);
  EXPECT_EQ(r.held(), 0u);
  EXPECT_EQ(r.metrics().hold_waits(), 3u);
  // Warm again, then cold again: a new episode reports again.
  r.SetEndpoints({});
  EXPECT_EQ(r.Acquire({}, [](auto) {}).outcome, Revision::Outcome::kHeld);
  EXPECT_EQ(cold.size(), 2u);
}

TEST(RevisionTest, CancelHoldAndShutdown) {
  FakeClock clock;
  int cold = 0;
  Revision r(
      "ns/r", {}, [&](const std::string&) { cold++; }, clock);
  auto a = r.Acquire({}, [](auto) { FAIL() << "cancelled request resumed"; });
  EXPECT_TRUE(r.CancelHold(a.ticket));
  EXPECT_FALSE(r.CancelHold(a.ticket));
  EXPECT_EQ(r.held(), 0u);
  // The queue emptied by timeouts: the next request reports cold again.
  bool removed = false;
  auto b = r.Acquire({}, [&](std::shared_ptr<Endpoint> e) { removed = e == nullptr; });
  EXPECT_EQ(b.outcome, Revision::Outcome::kHeld);
  EXPECT_EQ(cold, 2);
  r.Shutdown();
  EXPECT_TRUE(removed);
  EXPECT_EQ(r.Acquire({}, nullptr).outcome, Revision::Outcome::kGone);
}

// containerConcurrency: an endpoint takes at most that many requests; the next ones wait in
// the queue (held, but the revision is not cold) and take the first slot that frees, in
// arrival order. Raising the limit frees slots at once.
TEST(RevisionTest, ContainerConcurrencyHoldsUntilASlotFrees) {
  FakeClock clock;
  std::vector<std::string> cold;
  Revision r("ns/r", {}, [&](const std::string& n) { cold.push_back(n); }, clock);
  r.SetContainerConcurrency(1);
  r.SetEndpoints(Addresses({"10.0.0.1:80", "10.0.0.2:80"}));
  auto a = r.Acquire({}, nullptr).endpoint;
  auto b = r.Acquire({}, nullptr).endpoint;
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->address.address, b->address.address);
  std::vector<std::string> resumed;
  auto resume = [&](int id) {
    return [&resumed, id](std::shared_ptr<Endpoint> e) {
      resumed.push_back(std::to_string(id) + "@" + (e ? e->address.address : "none"));
    };
  };
  auto third = r.Acquire({}, resume(3));
  auto fourth = r.Acquire({}, resume(4));
  EXPECT_EQ(third.outcome, Revision::Outcome::kHeld);
  EXPECT_EQ(fourth.outcome, Revision::Outcome::kHeld);
  EXPECT_TRUE(cold.empty());  // busy, not cold
  EXPECT_EQ(r.held(), 2u);
  r.Release(*b);  // b's slot goes to the oldest held request
  ASSERT_EQ(resumed.size(), 1u);
  EXPECT_EQ(resumed[0], "3@" + b->address.address);
  EXPECT_EQ(b->outstanding.load(), 1);
  // A new arrival does not overtake the one still waiting.
  EXPECT_EQ(r.Acquire({}, resume(5)).outcome, Revision::Outcome::kHeld);
  r.SetContainerConcurrency(2);  // more room: both waiting requests go now
  ASSERT_EQ(resumed.size(), 3u);
  EXPECT_EQ(resumed[1].substr(0, 2), "4@");
  EXPECT_EQ(resumed[2].substr(0, 2), "5@");
  EXPECT_EQ(r.held(), 0u);
  r.SetContainerConcurrency(0);  // unlimited again
  for (int i = 0; i < 5; ++i) EXPECT_EQ(r.Acquire({}, nullptr).outcome, Revision::Outcome::kEndpoint);
}

}  // namespace
}  // namespace skiff::gateway
