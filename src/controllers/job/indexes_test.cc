// Tests for completedIndexes parsing/formatting and index selection.
#include "controllers/job/indexes.h"

#include <gtest/gtest.h>

namespace skiff::controllers::job {
namespace {

TEST(Indexes, FormatsRuns) {
  EXPECT_EQ(FormatIndexes({}), "");
  EXPECT_EQ(FormatIndexes({3}), "3");
  EXPECT_EQ(FormatIndexes({0, 1, 2, 4}), "0-2,4");
  EXPECT_EQ(FormatIndexes({1, 3, 4, 5, 7, 9, 10}), "1,3-5,7,9-10");
}

TEST(Indexes, ParsesAndRoundTrips) {
  EXPECT_EQ(ParseIndexes("0-2,4", 10), (IndexSet{0, 1, 2, 4}));
  EXPECT_EQ(FormatIndexes(ParseIndexes("1,3-5,7", 100)), "1,3-5,7");
  EXPECT_TRUE(ParseIndexes("", 5).empty());
}

TEST(Indexes, SkipsBadEntriesAndOutOfRange) {
  EXPECT_EQ(ParseIndexes("x,2,5-3,-1,7", 10), (IndexSet{2, 7}));
  // Indexes at or past completions are dropped; a range is clipped.
  EXPECT_EQ(ParseIndexes("1,3-6,9", 5), (IndexSet{1, 3, 4}));
}

TEST(Indexes, FirstMissingLowestFirst) {
  IndexSet completed{0, 2};
  IndexSet active{1};
  IndexSet in_flight{4};
  EXPECT_EQ(FirstMissingIndexes(8, 3, {&completed, &active, &in_flight}),
            (std::vector<int64_t>{3, 5, 6}));
  EXPECT_EQ(FirstMissingIndexes(4, 10, {&completed, &active}), (std::vector<int64_t>{3}));
  EXPECT_TRUE(FirstMissingIndexes(3, 0, {}).empty());
}

}  // namespace
}  // namespace skiff::controllers::job
