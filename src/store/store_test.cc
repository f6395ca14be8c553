// Store tests: CRUD, preconditions, watch replay/resume/410, and durability across reopen.
#include "store/store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>

namespace skiff::store {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("skiff-store-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen(int64_t history = 100) {
    store_.reset();
    StoreOptions o;
    o.path = (dir_ / "db.sqlite").string();
    o.history = history;
    o.synchronous = "NORMAL";
    auto s = Store::Open(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  static Json Obj(const std::string& name, int v) {
    return Json{{"metadata", {{"name", name}}}, {"spec", {{"v", v}}}};
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, CreateGetUpdateDelete) {
  auto a = store_->CreateSync("widgets", "ns", "a", Obj("a", 1));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)->revision, 1);
  EXPECT_EQ((*a)->value->at("metadata").at("resourceVersion"), "1");
  EXPECT_EQ(store_->CreateSync("widgets", "ns", "a", Obj("a", 1)).status().code(),
            StatusCode::kAlreadyExists);

  auto u = store_->UpdateSync("widgets", "ns", "a", 1, Obj("a", 2));
  ASSERT_TRUE(u.ok());
  EXPECT_EQ((*u)->revision, 2);
  EXPECT_EQ((*u)->create_revision, 1);
  // Stale precondition is a conflict.
  EXPECT_EQ(store_->UpdateSync("widgets", "ns", "a", 1, Obj("a", 3)).status().code(),
            StatusCode::kAborted);
  EXPECT_EQ(store_->Get("widgets", "ns", "a")->value->at("spec").at("v"), 2);

  auto d = store_->DeleteSync("widgets", "ns", "a", 0);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((*d)->revision, 3);
  EXPECT_EQ(store_->Get("widgets", "ns", "a"), nullptr);
  EXPECT_EQ(store_->DeleteSync("widgets", "ns", "a", 0).status().code(), StatusCode::kNotFound);
}

TEST_F(StoreTest, ListByNamespaceWithPaging) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store_->CreateSync("widgets", "a", "w" + std::to_string(i), Obj("w", i)).ok());
    ASSERT_TRUE(store_->CreateSync("widgets", "b", "w" + std::to_string(i), Obj("w", i)).ok());
  }
  EXPECT_EQ(store_->List("widgets", "", "", 0).items.size(), 10u);
  auto page1 = store_->List("widgets", "a", "", 3);
  ASSERT_EQ(page1.items.size(), 3u);
  ASSERT_FALSE(page1.next_key.empty());
  auto page2 = store_->List("widgets", "a", page1.next_key, 3);
  ASSERT_EQ(page2.items.size(), 2u);
  EXPECT_TRUE(page2.next_key.empty());
  EXPECT_EQ(page2.items[0]->name, "w3");
  EXPECT_EQ(page1.revision, 10);
}

struct Collector {
  std::mutex mu;
  std::vector<EventPtr> events;
  EventSink Sink() {
    return [this](const EventPtr& e) {
      std::lock_guard l(mu);
      events.push_back(e);
    };
  }
  size_t size() {
    std::lock_guard l(mu);
    return events.size();
  }
};

TEST_F(StoreTest, WatchInitialStateThenLive) {
  ASSERT_TRUE(store_->CreateSync("widgets", "ns", "a", Obj("a", 1)).ok());
  Collector c;
  auto id = store_->Watch("widgets", 0, c.Sink());
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(store_->UpdateSync("widgets", "ns", "a", 0, Obj("a", 2)).ok());
  ASSERT_TRUE(store_->CreateSync("other", "ns", "x", Obj("x", 1)).ok());
  ASSERT_TRUE(store_->DeleteSync("widgets", "ns", "a", 0).ok());
  // Sinks run before the write callback returns, so all events are here.
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c.events[0]->type, EventType::kAdded);
  EXPECT_EQ(c.events[1]->type, EventType::kModified);
  EXPECT_EQ(c.events[1]->prev->revision, 1);
  EXPECT_EQ(c.events[2]->type, EventType::kDeleted);
  EXPECT_EQ(c.events[2]->revision, 4);
  store_->CancelWatch(*id);
}

TEST_F(StoreTest, WatchResumeAndGone) {
  Reopen(/*history=*/3);
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(store_->CreateSync("widgets", "ns", "w" + std::to_string(i), Obj("w", i)).ok());
  }
  Collector c;
  ASSERT_TRUE(store_->Watch("widgets", 4, c.Sink()).ok());
  EXPECT_EQ(c.size(), 2u);  // revisions 5 and 6
  Collector old;
  auto r = store_->Watch("widgets", 1, old.Sink());
  EXPECT_EQ(r.status().code(), StatusCode::kOutOfRange);
}

TEST_F(StoreTest, DurableAcrossReopenAndResumesWatch) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(store_->CreateSync("widgets", "ns", "w" + std::to_string(i), Obj("w", i)).ok());
  }
  ASSERT_TRUE(store_->DeleteSync("widgets", "ns", "w0", 0).ok());
  Reopen();
  EXPECT_EQ(store_->CurrentRevision(), 21);
  EXPECT_EQ(store_->List("widgets", "", "", 0).items.size(), 19u);
  EXPECT_EQ(store_->Get("widgets", "ns", "w5")->value->at("spec").at("v"), 5);
  // History survives the restart: a watcher resumes from revision 18.
  Collector c;
  ASSERT_TRUE(store_->Watch("widgets", 18, c.Sink()).ok());
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c.events[2]->type, EventType::kDeleted);
  // New writes continue the revision sequence.
  auto n = store_->CreateSync("widgets", "ns", "new", Obj("n", 1));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ((*n)->revision, 22);
}

TEST_F(StoreTest, ConcurrentWritersAllAcknowledged) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto r = store_->CreateSync("widgets", "ns", std::to_string(t) + "-" + std::to_string(i),
                                    Obj("x", i));
        ASSERT_TRUE(r.ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(store_->CurrentRevision(), 400);
  Reopen();
  EXPECT_EQ(store_->List("widgets", "", "", 0).items.size(), 400u);
}

}  // namespace
}  // namespace skiff::store
