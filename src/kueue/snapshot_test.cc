// Quota tree math (available, potential, usage bubbling with lending limits, shares) and
// quantity formatting.
#include "kueue/snapshot.h"

#include <gtest/gtest.h>

namespace skiff::kueue::internal {
namespace {

// root cohort (own quota 2) <- cq a (nominal 4, lending limit 1), cq b (nominal 4,
// borrowing limit 2); one flavor-resource.
class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = snap_.AddNode("root", false, 1);
    a_ = snap_.AddNode("a", true, 1);
    b_ = snap_.AddNode("b", true, 1);
    snap_.node(root_).nominal[0] = 2;
    snap_.node(a_).nominal[0] = 4;
    snap_.node(a_).lending_limit[0] = 1;
    snap_.node(b_).nominal[0] = 4;
    snap_.node(b_).borrowing_limit[0] = 2;
    for (int n : {a_, b_}) {
      snap_.node(n).parent = root_;
      snap_.node(root_).child_cqs.push_back(n);
    }
    snap_.Finalize({0});
  }
  Snapshot snap_{1, 1};
  int root_ = 0;
  int a_ = 0;
  int b_ = 0;
};

TEST_F(SnapshotTest, SubtreeQuotaCountsOnlyWhatChildrenLend) {
  EXPECT_EQ(snap_.node(root_).subtree_quota[0], 2 + 1 + 4);
  EXPECT_EQ(snap_.node(a_).local_quota[0], 3);
  EXPECT_EQ(snap_.PotentialAvailable(a_, 0), 3 + 7);
  EXPECT_EQ(snap_.PotentialAvailable(b_, 0), 4 + 2);  // capped by the borrowing limit
  EXPECT_EQ(snap_.Available(a_, 0), 10);
  EXPECT_EQ(snap_.Available(b_, 0), 6);
}

TEST_F(SnapshotTest, UsageBubblesPastLocalQuotaAndRemovesExactly) {
  snap_.AddUsage(a_, 0, 5);  // 3 local, 2 in the cohort
  EXPECT_EQ(snap_.node(root_).usage[0], 2);
  EXPECT_EQ(snap_.Available(b_, 0), 5);
  EXPECT_EQ(snap_.Available(a_, 0), 5);
  snap_.AddUsage(b_, 0, 5);
  EXPECT_EQ(snap_.node(root_).usage[0], 7);
  EXPECT_EQ(snap_.Available(a_, 0), 0);
  EXPECT_TRUE(snap_.Borrowing(b_, 0));
  EXPECT_EQ(snap_.HeightOfLowestSubtreeThatFits(b_, 0, 1), std::make_pair(1, false));
  snap_.RemoveUsage(b_, 0, 5);
  snap_.RemoveUsage(a_, 0, 5);
  EXPECT_EQ(snap_.node(root_).usage[0], 0);
  EXPECT_EQ(snap_.node(a_).usage[0], 0);
  EXPECT_EQ(snap_.HeightOfLowestSubtreeThatFits(b_, 0, 1), std::make_pair(0, true));
}

TEST_F(SnapshotTest, DominantResourceShareIsBorrowedOverLendable) {
  snap_.AddUsage(b_, 0, 6);  // borrows 2 of the 7 lendable
  Drs drs = snap_.DominantResourceShare(b_);
  EXPECT_TRUE(drs.borrowing);
  EXPECT_EQ(drs.value, 286);  // ceil(2000 / 7)
  EXPECT_EQ(snap_.DominantResourceShare(a_).value, 0);
  EXPECT_EQ(snap_.DominantResourceShare(a_, {{0, 5}}).value, 143);  // ceil(1000 / 7)
}

TEST(FormatQuantityTest, CanonicalForms) {
  EXPECT_EQ(FormatQuantity("cpu", 500), "500m");
  EXPECT_EQ(FormatQuantity("cpu", 2000), "2");
  EXPECT_EQ(FormatQuantity("cpu", 1500), "1500m");
  EXPECT_EQ(FormatQuantity("nvidia.com/gpu", 4000), "4");
  EXPECT_EQ(FormatQuantity("pods", 2000000), "2k");
  EXPECT_EQ(FormatQuantity("memory", (int64_t{1} << 30) * 1000), "1Gi");
  EXPECT_EQ(FormatQuantity("memory", 1536LL * 1024 * 1024 * 1000), "1536Mi");
  EXPECT_EQ(FormatQuantity("memory", 1000000000000), "1G");
  EXPECT_EQ(FormatQuantity("cpu", 0), "0");
  EXPECT_EQ(FormatQuantity("cpu", -3000), "-3");
}

}  // namespace
}  // namespace skiff::kueue::internal
