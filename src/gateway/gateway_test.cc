// End-to-end tests of the gateway over real sockets: real upstream servers in-process, a real
// client, the gateway between them. Waits are on events (gates, predicates), never on time.
#include "gateway/gateway.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "gateway/fake_upstream_testonly.h"

namespace skiff::gateway {
namespace {

using testing::ClientResponse;
using testing::FakeUpstream;
using testing::Gate;
using testing::Reply;
using testing::ResponseWriter;
using testing::TestClient;
using testing::UpstreamRequest;
using testing::WaitUntil;

std::unique_ptr<Gateway> StartGateway(GatewayOptions o = {}) {
  o.listen = "127.0.0.1:0";
  o.metrics_listen = "127.0.0.1:0";
  if (o.workers == 0) o.workers = 2;
  auto g = Gateway::Start(std::move(o));
  EXPECT_TRUE(g.ok()) << g.status().ToString();
  return g.ok() ? std::move(*g) : nullptr;
}

Backend MakeBackend(std::string revision, int weight,
                    std::optional<std::vector<std::string>> endpoints) {
  Backend b;
  b.revision = std::move(revision);
  b.weight = weight;
  b.endpoints = std::move(endpoints);
  return b;
}

Route MakeRoute(std::vector<std::string> hosts, std::vector<Backend> backends,
                std::string prefix = "") {
  Route r;
  r.hosts = std::move(hosts);
  r.backends = std::move(backends);
  r.path_prefix = std::move(prefix);
  return r;
}

// The KServe error shape: a JSON object with a string "error".
std::string ErrorOf(const ClientResponse& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("error") || !j["error"].is_string()) return "<not json>";
  return j["error"].get<std::string>();
}

TEST(GatewayTest, RoutesByHostAndAnswers404WithoutRoute) {
  FakeUpstream a(Reply("A"));
  FakeUpstream b(Reply("B"));
  auto gw = StartGateway();
  ASSERT_TRUE(gw->SetRoutes({MakeRoute({"fraud-detector.ml-prod.example.com"},
                                       {MakeBackend("ml-prod/fd-00001", 100, {{a.address()}})}),
                             MakeRoute({"iris.ml.example.com", "iris-ml.example.com"},
                                       {MakeBackend("ml/iris-00001", 100, {{b.address()}})})})
                  .ok());
  TestClient c(gw->port());
  auto r = c.Get("/v1/models/fd:predict", "Fraud-Detector.ML-Prod.example.com:8080");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "A");
  r = c.Get("/", "iris-ml.example.com");
  EXPECT_EQ(r.body, "B");
  r = c.Get("/", "iris.ml.example.com.");
  EXPECT_EQ(r.body, "B");

  r = c.Get("/v1/models/x", "unknown.example.com");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.Get("content-type"), "application/json");
  EXPECT_NE(ErrorOf(r).find("unknown.example.com"), std::string::npos) << r.body;
  // The connection survives a 404.
  EXPECT_EQ(c.Get("/", "iris.ml.example.com").body, "B");
}

TEST(GatewayTest, ForwardsHeadersPerRfc7230) {
  FakeUpstream a([](const UpstreamRequest&, ResponseWriter& w) {
    w.Send(200, "ok", "text/plain",
           {{"Connection", "keep-alive, X-Upstream-Hop"},
            {"X-Upstream-Hop", "1"},
            {"Keep-Alive", "timeout=5"},
            {"X-Model", "iris"}});
  });
  auto gw = StartGateway();
  ASSERT_TRUE(
      gw->SetRoutes({MakeRoute({"h.example.com"}, {MakeBackend("ns/r", 100, {{a.address()}})})})
          .ok());
  TestClient c(gw->port());
  auto r = c.Request("POST", "/v1/models/iris:predict?verbose=1", "h.example.com:8080",
                     R"({"instances":[[1,2]]})",
                     {{"Connection", "keep-alive, X-Client-Hop"},
                      {"X-Client-Hop", "secret"},
                      {"Keep-Alive", "timeout=5"},
                      {"Proxy-Authorization", "Basic eA=="},
                      {"X-Forwarded-For", "203.0.113.7"},
                      {"X-Request-Id", "abc"}});
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Get("x-model"), "iris");
  EXPECT_EQ(r.Get("x-upstream-hop"), "");
  EXPECT_EQ(r.Get("keep-alive"), "");

  auto seen = a.seen();
  ASSERT_EQ(seen.size(), 1u);
  const UpstreamRequest& u = seen[0];
  EXPECT_EQ(u.method, "POST");
  EXPECT_EQ(u.target, "/v1/models/iris:predict?verbose=1");
  EXPECT_EQ(u.body, R"({"instances":[[1,2]]})");
  EXPECT_EQ(u.Get("host"), "h.example.com:8080");
  EXPECT_EQ(u.Get("x-forwarded-for"), "203.0.113.7, 127.0.0.1");
  EXPECT_EQ(u.Get("x-forwarded-host"), "h.example.com:8080");
  EXPECT_EQ(u.Get("x-forwarded-proto"), "http");
  EXPECT_EQ(u.Get("x-request-id"), "abc");
  EXPECT_FALSE(u.Has("x-client-hop"));
  EXPECT_FALSE(u.Has("keep-alive"));
  EXPECT_FALSE(u.Has("proxy-authorization"));
}

TEST(GatewayTest, RoutesByLongestPathPrefixAndStripsIt) {
  FakeUpstream models(Reply("models"));
  FakeUpstream rest(Reply("rest"));
  FakeUpstream serving(Reply("serving"));
  auto gw = StartGateway();
  Route stripped = MakeRoute({"h"}, {MakeBackend("ns/serving", 100, {{serving.address()}})},
                             "/serving/ml/iris/");
  stripped.strip_prefix = true;
  ASSERT_TRUE(gw->SetRoutes({MakeRoute({"h"}, {MakeBackend("ns/rest", 100, {{rest.address()}})}),
                             MakeRoute({"h"}, {MakeBackend("ns/models", 100, {{models.address()}})},
                                       "/v1/models/iris"),
                             stripped})
                  .ok());
  TestClient c(gw->port());
  EXPECT_EQ(c.Get("/v1/models/iris:predict", "h").body, "models");
  EXPECT_EQ(c.Get("/v1/models/other:predict", "h").body, "rest");
  EXPECT_EQ(c.Get("/", "h").body, "rest");
  EXPECT_EQ(c.Get("/serving/ml/iris/v1/models/iris?x=1", "h").body, "serving");
  ASSERT_EQ(serving.seen().size(), 1u);
  EXPECT_EQ(serving.seen()[0].target, "/v1/models/iris?x=1");
  // Absolute-form targets route by their own authority.
  EXPECT_EQ(c.Get("http://h:80/v1/models/iris", "ignored.example.com").body, "models");
}

TEST(GatewayTest, SplitsTrafficByWeight) {
  FakeUpstream stable(Reply("stable"));
  FakeUpstream canary(Reply("canary"));
  auto gw = StartGateway();
  ASSERT_TRUE(gw->SetRoutes({MakeRoute({"iris.ml.example.com"},
                                       {MakeBackend("ml/iris-00001", 90, {{stable.address()}}),
                                        MakeBackend("ml/iris-00002", 10, {{canary.address()}})})})
                  .ok());
  TestClient c(gw->port());
  int canary_hits = 0;
  for (int i = 0; i < 2000; ++i) {
    auto r = c.Get("/v1/models/iris:predict", "iris.ml.example.com");
    ASSERT_EQ(r.status, 200);
    canary_hits += r.body == "canary";
  }
  EXPECT_GE(canary_hits, 140);  // 10% +- 3% of 2,000
  EXPECT_LE(canary_hits, 260);
  EXPECT_EQ(stable.requests() + canary.requests(), 2000);
  auto snap = gw->RevisionSnapshot("ml/iris-00002");
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->requests_total, static_cast<uint64_t>(canary_hits));
}

TEST(GatewayTest, TagRouteAndNotReadyBackend) {
  FakeUpstream v1(Reply("v1"));
  FakeUpstream v2(Reply("v2"));
  auto gw = StartGateway();
  Backend failed = MakeBackend("ml/iris-00002", 50, {{v2.address()}});
  failed.ready = false;
  ASSERT_TRUE(
      gw->SetRoutes({MakeRoute({"iris.ml.example.com"},
                               {MakeBackend("ml/iris-00001", 50, {{v1.address()}}), failed}),
                     MakeRoute({"latest-iris-predictor.ml.example.com"},
                               {MakeBackend("ml/iris-00002", 100, std::nullopt)})})
          .ok());
  TestClient c(gw->port());
  for (int i = 0; i < 20; ++i) EXPECT_EQ(c.Get("/", "iris.ml.example.com").body, "v1");
  // The tag host reaches the revision the main host skips; its endpoints came from the other
  // route's backend.
  EXPECT_EQ(c.Get("/", "latest-iris-predictor.ml.example.com").body, "v2");
}

TEST(GatewayTest, SetRoutesSwapsTheTableWithoutRestart) {
  FakeUpstream a(Reply("A"));
  FakeUpstream b(Reply("B"));
  auto gw = StartGateway();
  ASSERT_TRUE(gw->SetRoutes({MakeRoute({"h"}, {MakeBackend("ns/a", 100, {{a.address()}})})}).ok());
  TestClient c(gw->port());
  EXPECT_EQ(c.Get("/", "h").body, "A");
  ASSERT_TRUE(gw->SetRoutes({MakeRoute({"h"}, {MakeBackend("ns/b", 100, {{b.address()}})})}).ok());
  EXPECT_EQ(c.Get("/", "h").body, "B");  // same keep-alive connection
  // An invalid table is refused and the current one stays.
  Status bad = gw->SetRoutes({MakeRoute({"h"}, {MakeBackend("ns/a", 100, {{"not-an-ip:80"}})})});
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.Get("/", "h").body, "B");
  EXPECT_FALSE(gw->RevisionSnapshot("ns/a").has_value());  // no route names it any more
  // The routes file format goes through the same path.
  ASSERT_TRUE(gw->LoadRoutesJson(R"({"routes":[{"hosts":["h"],"backends":[
      {"revision":"ns/a","endpoints":[")" +
                                 a.address() + R"("]}]}]})")
                  .ok());
  EXPECT_EQ(c.Get("/", "h").body, "A");
  EXPECT_FALSE(gw->LoadRoutesJson(R"({"routes":[{"hosts":["h"]}]})").ok());
  EXPECT_NE(gw->RenderMetrics().find("skiff_gateway_config_errors_total 2"), std::string::npos);
}

TEST(GatewayTest, LeastOutstandingPrefersTheIdleEndpoint) {
  Gate release;
  FakeUpstream busy([&](const UpstreamRequest& r, ResponseWriter& w) {
    if (r.target == "/slow") release.Wait();
    w.Send(200, "busy");
  });
  FakeUpstream idle(Reply("idle"));
  auto gw = StartGateway();
  ASSERT_TRUE(
      gw->SetRoutes({MakeRoute({"h"}, {MakeBackend("ns/r", 100, {{busy.address()}})})}).ok());
  TestClient slow(gw->port());
  ASSERT_TRUE(slow.SendRaw("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n"));
  ASSERT_TRUE(WaitUntil([&] { return busy.requests() == 1; }));
  // The busy endpoint keeps its outstanding count across the update.
  ASSERT_TRUE(gw->SetEndpoints("ns/r", {busy.address(), idle.address()}).ok());
  TestClient c(gw->port());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(c.Get("/fast", "h").body, "idle");
  EXPECT_EQ(busy.requests(), 1);
  // The last fast request is counted out just after its bytes reach the client.
  EXPECT_TRUE(WaitUntil([&] { return gw->RevisionSnapshot("ns/r")->concurrency == 1; }));
  release.Open();
  EXPECT_EQ(slow.ReadResponse().body, "busy");
  // Both idle now: ties go round-robin, so both serve.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(c.Get("/fast", "h").status, 200);
  EXPECT_GT(busy.requests(), 1);
}

TEST(GatewayTest, RetriesConnectionFailuresOnAnotherEndpoint) {
  FakeUpstream good(Reply("good"));
  // Reads the request, then drops the connection without a response byte.
  FakeUpstream resetting([](const UpstreamRequest&, ResponseWriter& w) { w.Close(); });
  const std::string refused = "127.0.0.1:" + std::to_string(testing::RefusedPort());
  auto gw = StartGateway();
  ASSERT_TRUE(
      gw
          ->SetRoutes({MakeRoute(
              {"h"}, {MakeBackend("ns/r", 100, {{refused, resetting.address(), good.address()}})})})
          .ok());
  TestClient c(gw->port());
  for (int i = 0; i < 12; ++i) {
    auto r = c.Get("/", "h");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, "good");
  }
  EXPECT_EQ(good.requests(), 12);
  EXPECT_GT(resetting.requests(), 0);
  std::string metrics = gw->RenderMetrics();
  EXPECT_NE(
      metrics.find(
          R"(skiff_gateway_upstream_errors_total{namespace_name="ns",revision_name="r",reason="connect"})"),
      std::string::npos);

  // No retries left: 502 in KServe's shape.
  Route once = MakeRoute({"only-refused"}, {MakeBackend("ns/refused", 100, {{refused}})});
  once.retries = 0;
  ASSERT_TRUE(gw->SetRoutes({once}).ok());
  auto r = c.Get("/", "only-refused");
  EXPECT_EQ(r.status, 502);
  EXPECT_NE(ErrorOf(r).find("connect"), std::string::npos) << r.body;
}

TEST(GatewayTest, ReusesPooledConnectionsAndSurvivesUpstreamClosingThem) {
  // Answers keep-alive, then closes the connection behind the gateway's back.
  FakeUpstream closing([](const UpstreamRequest&, ResponseWriter& w) {
    w.Send(200, "ok");
    w.Close();
  });
  FakeUpstream keeping(Reply("ok"));
  GatewayOptions o;
  o.workers = 1;
  auto gw = StartGateway(o);
  Route r1 = MakeRoute({"closing"}, {MakeBackend("ns/closing", 100, {{closing.address()}})});
  r1.retries = 0;  // a stale pooled connection must not need a retry
  ASSERT_TRUE(gw->SetRoutes({r1, MakeRoute({"keeping"}, {MakeBackend("ns/keeping", 100,
                                                                     {{keeping.address()}})})})
                  .ok());
  TestClient c(gw->port());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(c.Get("/", "closing").status, 200);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(c.Get("/", "keeping").status, 200);
  EXPECT_EQ(keeping.connections(), 1);  // one pooled connection served all 20
}

TEST(GatewayTest, RequestTimeoutGives504) {
  Gate release;
  FakeUpstream stuck([&](const UpstreamRequest&, ResponseWriter& w) {
    release.Wait();
    w.Send(200, "late");
  });
  FakeUpstream fine(Reply("fine"));
  auto gw = StartGateway();
  Route r = MakeRoute({"stuck"}, {MakeBackend("ns/stuck", 100, {{stuck.address()}})});
  r.timeout = std::chrono::milliseconds(200);
  ASSERT_TRUE(
      gw->SetRoutes({r, MakeRoute({"fine"}, {MakeBackend("ns/fine", 100, {{fine.address()}})})})
          .ok());
  TestClient c(gw->port());
  auto res = c.Get("/", "stuck");
  release.Open();
  ASSERT_TRUE(res.ok);
  EXPECT_EQ(res.status, 504);
  EXPECT_NE(ErrorOf(res).find("timeout"), std::string::npos) << res.body;
  EXPECT_EQ(c.Get("/", "fine").body, "fine");
}

TEST(GatewayTest, StreamsChunkedSseAsItArrives) {
  Gate first_seen;
  FakeUpstream sse([&](const UpstreamRequest&, ResponseWriter& w) {
    w.StartStream(200, "text/event-stream", /*chunked=*/true);
    w.Write("data: {\"token\":\"one\"}\n\n");
    first_seen.Wait();  // the client must see event one before event two exists
    w.Write("data: {\"token\":\"two\"}\n\n");
    w.Write("data: [DONE]\n\n");
    w.End();
  });
  auto gw = StartGateway();
  ASSERT_TRUE(
      gw->SetRoutes({MakeRoute({"llm"}, {MakeBackend("ns/llm", 100, {{sse.address()}})})}).ok());
  TestClient c(gw->port());
  ASSERT_TRUE(
      c.SendRaw("POST /openai/v1/completions HTTP/1.1\r\nHost: llm\r\n"
                "Content-Length: 2\r\n\r\n{}"));
  bool got_first = c.ReadUntil("\"one\"");
  first_seen.Open();
  ASSERT_TRUE(got_first) << c.raw();
  EXPECT_EQ(c.raw().find("\"two\""), std::string::npos);
  EXPECT_NE(c.raw().find("text/event-stream"), std::string::npos);
  EXPECT_NE(c.raw().find("Transfer-Encoding: chunked"), std::string::npos);
  ASSERT_TRUE(c.ReadUntil("0\r\n\r\n")) << c.raw();
  EXPECT_NE(c.raw().find("data: [DONE]"), std::string::npos);
  // The connection is still good for the next request.
  auto again = c.Get("/", "llm");
  first_seen.Open();
  EXPECT_EQ(again.status, 200);
}

TEST(GatewayTest, StreamsContentLengthBodiesAsTheyArrive) {
  Gate half_seen;
  FakeUpstream slow([&](const UpstreamRequest&, ResponseWriter& w) {
    w.StartStream(200, "application/octet-stream", /*chunked=*/false, 10);
    w.Write("HALF1");
    half_seen.Wait();
    w.Write("HALF2");
  });
  auto gw = StartGateway();
  ASSERT_TRUE(
      gw->SetRoutes({MakeRoute({"h"}, {MakeBackend("ns/r", 100, {{slow.address()}})})}).ok());
  TestClient c(gw->port());
  ASSERT_TRUE(c.SendRaw("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  bool got_half = c.ReadUntil("HALF1");
  half_seen.Open();
  ASSERT_TRUE(got_half) << c.raw();
  EXPECT_NE(c.raw().find("Content-Length: 10"), std::string::npos);
  ASSERT_TRUE(c.ReadUntil("HALF2"));
}

TEST(GatewayTest, RelaysEmptyAndBodylessResponses) {
  FakeUpstream up([](const UpstreamRequest& r, ResponseWriter& w) {
    if (r.target == "/empty-chunked") {
      w.StartStream(200, "text/plain", /*chunked=*/true);
      w.End();
    } else {
      w.Send(204, "");
    }
  });
  auto gw = StartGateway();
  ASSERT_TRUE(gw->SetRoutes({MakeRoute({"h"}, {MakeBackend("ns/r", 100, {{up.address()}})})}).ok());
  TestClient c(gw->port());
  for (int i = 0; i < 2; ++i) {
    auto r = c.Get("/empty-chunked", "h");
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "");
    r = c.Get("/no-content", "h");
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.status, 204);
  }
}

TEST(GatewayTest, Http10ClientGetsAStreamEndedByClose) {
  FakeUpstream sse([](const UpstreamRequest&, ResponseWriter& w) {
    w.StartStream(200, "text/event-stream", /*chunked=*/true);
    w.Write("data: a\n\n");
    w.End();
  });
  auto gw = StartGateway();
  ASSERT_TRUE(
      gw->SetRoutes({MakeRoute({"h"}, {MakeBackend("ns/r", 100, {{sse.address()}})})}).ok());
  TestClient c(gw->port());
  ASSERT_TRUE(c.SendRaw("GET / HTTP/1.0\r\nHost: h\r\n\r\n"));
  auto r = c.ReadResponse();  // complete only when the gateway closes
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "data: a\n\n");
  EXPECT_EQ(r.Get("connection"), "close");
  EXPECT_EQ(r.Get("transfer-encoding"), "");
}

TEST(GatewayTest, AnswersExpectContinueBeforeTheBody) {
  FakeUpstream echo([](const UpstreamRequest& r, ResponseWriter& w) {
    w.Send(200, r.body + (r.Has("expect") ? " expect" : ""));
  });
  auto gw = StartGateway();
  ASSERT_TRUE(
      gw->SetRoutes({MakeRoute({"h"}, {MakeBackend("ns/r", 100, {{echo.address()}})})}).ok());
  TestClient c(gw->port());
  ASSERT_TRUE(
      c.SendRaw("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                "Content-Length: 4\r\n\r\n"));
  ASSERT_TRUE(c.ReadUntil("HTTP/1.1 100 Continue\r\n\r\n")) << c.raw();
  ASSERT_TRUE(c.SendRaw("body"));
  ASSERT_TRUE(c.ReadUntil("body")) << c.raw();
  EXPECT_NE(c.raw().find("200 OK"), std::string::npos) << c.raw();
  EXPECT_EQ(c.raw().find("expect"), std::string::npos);  // not forwarded: answered here
}

TEST(GatewayTest, ActivatorHoldsUntilEndpointsArrive) {
  FakeUpstream pod(Reply("warm"));
  auto gw = StartGateway();
  std::mutex mu;
  std::vector<std::string> cold;
  gw->SetColdCallback([&](const std::string& revision) {
    std::lock_guard<std::mutex> lock(mu);
    cold.push_back(revision);
  });
  ASSERT_TRUE(gw->SetRoutes({MakeRoute({"iris"}, {MakeBackend("ml/iris-00001", 100,
                                                              std::vector<std::string>{})})})
                  .ok());
  TestClient c1(gw->port()), c2(gw->port());
  ASSERT_TRUE(
      c1.SendRaw("POST /v1/models/iris:predict HTTP/1.1\r\nHost: iris\r\n"
                 "Content-Length: 5\r\n\r\nfirst"));
  ASSERT_TRUE(WaitUntil([&] { return gw->RevisionSnapshot("ml/iris-00001")->held == 1; }));
  ASSERT_TRUE(
      c2.SendRaw("POST /v1/models/iris:predict HTTP/1.1\r\nHost: iris\r\n"
                 "Content-Length: 6\r\n\r\nsecond"));
  ASSERT_TRUE(WaitUntil([&] { return gw->RevisionSnapshot("ml/iris-00001")->held == 2; }));
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(cold, std::vector<std::string>{"ml/iris-00001"});  // once for both
  }
  auto stats = *gw->RevisionSnapshot("ml/iris-00001");
  EXPECT_EQ(stats.concurrency, 2);  // held requests count: the autoscaler must see them
  EXPECT_EQ(stats.ready_endpoints, 0);
  EXPECT_EQ(pod.requests(), 0);

  ASSERT_TRUE(gw->SetEndpoints("ml/iris-00001", {pod.address()}).ok());
  auto r1 = c1.ReadResponse();
  auto r2 = c2.ReadResponse();
  EXPECT_EQ(r1.status, 200);
  EXPECT_EQ(r1.body, "warm");
  EXPECT_EQ(r2.status, 200);
  EXPECT_EQ(pod.requests(), 2);
  stats = *gw->RevisionSnapshot("ml/iris-00001");
  EXPECT_EQ(stats.held, 0);
  EXPECT_EQ(stats.cold_starts, 1u);
  std::string metrics = gw->RenderMetrics();
  EXPECT_NE(
      metrics.find(
          R"(skiff_gateway_activator_wait_seconds_count{namespace_name="ml",revision_name="iris-00001"} 2)"),
      std::string::npos)
      << metrics;
}

TEST(GatewayTest, ActivatorQueueOverflowGives503) {
  FakeUpstream pod(Reply("ok"));
  GatewayOptions o;
  o.activator.queue_capacity = 2;
  auto gw = StartGateway(o);
  ASSERT_TRUE(
      gw->SetRoutes({MakeRoute({"h"}, {MakeBackend("ns/r", 100, std::vector<std::string>{})})})
          .ok());
  TestClient c1(gw->port()), c2(gw->port()), c3(gw->port());
  ASSERT_TRUE(c1.SendRaw("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  ASSERT_TRUE(c2.SendRaw("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  ASSERT_TRUE(WaitUntil([&] { return gw->RevisionSnapshot("ns/r")->held == 2; }));
  auto over = c3.Get("/", "h");
  EXPECT_EQ(over.status, 503);
  EXPECT_NE(ErrorOf(over).find("queue is full"), std::string::npos) << over.body;
  ASSERT_TRUE(gw->SetEndpoints("ns/r", {pod.address()}).ok());
  EXPECT_EQ(c1.ReadResponse().status, 200);  // none dropped within the bound
  EXPECT_EQ(c2.ReadResponse().status, 200);
}

TEST(GatewayTest, ActivatorHoldTimeoutGives504AndReportsColdAgain) {
  FakeUpstream pod(Reply("ok"));
  GatewayOptions o;
  o.activator.hold_timeout = std::chrono::milliseconds(100);
  auto gw = StartGateway(o);
  std::atomic<int> cold{0};
  gw->SetColdCallback([&](const std::string&) { cold++; });
  ASSERT_TRUE(
      gw->SetRoutes({MakeRoute({"h"}, {MakeBackend("ns/r", 100, std::vector<std::string>{})})})
          .ok());
  TestClient c(gw->port());
  auto r = c.Get("/", "h");
  EXPECT_EQ(r.status, 504);
  EXPECT_NE(ErrorOf(r).find("no ready endpoint"), std::string::npos) << r.body;
  EXPECT_EQ(cold.load(), 1);
  // Everything held timed out: the next request pokes the autoscaler again.
  ASSERT_TRUE(c.SendRaw("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  ASSERT_TRUE(WaitUntil([&] { return cold.load() == 2; }));
  ASSERT_TRUE(gw->SetEndpoints("ns/r", {pod.address()}).ok());
  auto late = c.ReadResponse();
  // Either released in time, or timed out first: both are answers, never a drop.
  EXPECT_TRUE(late.status == 200 || late.status == 504) << late.status;
}

TEST(GatewayTest, BadInputIsRefusedAndTheGatewayKeepsServing) {
  FakeUpstream a(Reply("A"));
  GatewayOptions o;
  o.max_body_bytes = 1024;
  o.max_header_bytes = 8 * 1024;
  auto gw = StartGateway(o);
  ASSERT_TRUE(gw->SetRoutes({MakeRoute({"h"}, {MakeBackend("ns/r", 100, {{a.address()}})})}).ok());
  {
    TestClient c(gw->port());
    ASSERT_TRUE(c.SendRaw("GARBAGE\x01 / HTTP/9.9\r\n\r\n"));
    auto r = c.ReadResponse();
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(ErrorOf(r), "<not json>");
  }
  {
    TestClient c(gw->port());
    std::string huge =
        "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(64 * 1024, 'x') + "\r\n\r\n";
    c.SendRaw(huge);
    EXPECT_EQ(c.ReadResponse().status, 431);
  }
  {
    TestClient c(gw->port());
    EXPECT_EQ(c.Request("POST", "/", "h", std::string(4096, 'b')).status, 413);
  }
  {
    TestClient c(gw->port());
    ASSERT_TRUE(c.SendRaw("GET / HTTP/1.1\r\n\r\n"));
    EXPECT_EQ(c.ReadResponse().status, 400);  // HTTP/1.1 without Host
    EXPECT_EQ(c.Get("/", "bad host!").status, 400);
  }
  TestClient c(gw->port());
  EXPECT_EQ(c.Get("/", "h").body, "A");
  EXPECT_EQ(a.requests(), 1);
}

// Every line of the exposition is a comment or a sample, and histograms are cumulative.
void ExpectValidPrometheusText(const std::string& text) {
  static const std::regex kComment(R"(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$)");
  static const std::regex kSample(
      R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*")*\})? (-?[0-9.eE+-]+|\+Inf|-Inf|NaN)$)");
  std::istringstream in(text);
  std::string line;
  int samples = 0;
  while (std::getline(in, line)) {
    if (line.starts_with("#")) {
      EXPECT_TRUE(std::regex_match(line, kComment)) << line;
    } else {
      EXPECT_TRUE(std::regex_match(line, kSample)) << line;
      ++samples;
    }
  }
  EXPECT_GT(samples, 0);
}

double SampleValue(const std::string& text, const std::string& series) {
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

TEST(GatewayTest, MetricsEndpointServesParseablePrometheusText) {
  FakeUpstream a(Reply("A"));
  auto gw = StartGateway();
  ASSERT_TRUE(
      gw->SetRoutes({MakeRoute({"h"}, {MakeBackend("ml/iris-00001", 100, {{a.address()}})})}).ok());
  TestClient c(gw->port());
  for (int i = 0; i < 7; ++i) ASSERT_EQ(c.Get("/", "h").status, 200);
  ASSERT_EQ(c.Get("/", "nowhere").status, 404);
  // An answer is counted just after its bytes reach the client.
  ASSERT_TRUE(WaitUntil([&] {
    return SampleValue(gw->RenderMetrics(), R"(skiff_gateway_requests_total{code="404"})") == 1;
  }));

  TestClient m(gw->metrics_port());
  auto r = m.Get("/metrics", "localhost");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.Get("content-type").find("text/plain"), std::string::npos);
  ExpectValidPrometheusText(r.body);
  const std::string labels = R"(namespace_name="ml",revision_name="iris-00001")";
  EXPECT_EQ(SampleValue(r.body, "revision_request_count{" + labels +
                                    R"(,response_code="200",response_code_class="2xx"})"),
            7);
  EXPECT_EQ(SampleValue(r.body, "revision_request_latencies_count{" + labels + "}"), 7);
  EXPECT_EQ(SampleValue(r.body, "revision_request_latencies_bucket{" + labels + R"(,le="+Inf"})"),
            7);
  EXPECT_EQ(SampleValue(r.body, "activator_request_concurrency{" + labels + "}"), 0);
  EXPECT_EQ(SampleValue(r.body, R"(skiff_gateway_requests_total{code="404"})"), 1);
  EXPECT_EQ(SampleValue(r.body, R"(skiff_gateway_requests_total{code="200"})"), 7);
  EXPECT_EQ(SampleValue(r.body, "skiff_gateway_ready_endpoints{" + labels + "}"), 1);
  EXPECT_EQ(m.Get("/healthz", "localhost").body, "ok");
}

TEST(GatewayTest, SnapshotGivesConcurrencyAndRequestRate) {
  FakeClock clock;
  Gate release;
  FakeUpstream a([&](const UpstreamRequest& r, ResponseWriter& w) {
    if (r.target == "/slow") release.Wait();
    w.Send(200, "ok");
  });
  GatewayOptions o;
  o.clock = &clock;
  o.rate_window_seconds = 6;
  auto gw = StartGateway(o);
  ASSERT_TRUE(gw->SetRoutes({MakeRoute({"h"}, {MakeBackend("ns/r", 100, {{a.address()}})})}).ok());
  TestClient c(gw->port());
  for (int i = 0; i < 12; ++i) ASSERT_EQ(c.Get("/", "h").status, 200);
  clock.Advance(std::chrono::seconds(1));
  TestClient slow(gw->port());
  ASSERT_TRUE(slow.SendRaw("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n"));
  ASSERT_TRUE(WaitUntil([&] { return a.requests() == 13; }));

  MetricsSnapshot snap = gw->Snapshot();
  EXPECT_EQ(snap.taken, clock.Steady());
  EXPECT_EQ(snap.window_seconds, 6);
  ASSERT_EQ(snap.revisions.size(), 1u);
  const RevisionStats& s = snap.revisions[0];
  EXPECT_EQ(s.revision, "ns/r");
  EXPECT_GE(s.concurrency, 1);
  EXPECT_TRUE(WaitUntil([&] { return gw->RevisionSnapshot("ns/r")->concurrency == 1; }));
  EXPECT_EQ(s.requests_total, 13u);
  EXPECT_DOUBLE_EQ(s.requests_per_second, 12.0 / 6);  // the current second is not yet whole
  clock.Advance(std::chrono::seconds(1));
  EXPECT_DOUBLE_EQ(gw->Snapshot().revisions[0].requests_per_second, 13.0 / 6);
  clock.Advance(std::chrono::seconds(6));
  EXPECT_DOUBLE_EQ(gw->Snapshot().revisions[0].requests_per_second, 0);
  release.Open();
  EXPECT_EQ(slow.ReadResponse().status, 200);
  EXPECT_TRUE(WaitUntil([&] { return gw->RevisionSnapshot("ns/r")->concurrency == 0; }));
}

TEST(GatewayTest, RemovedRevisionAnswersHeldRequestsWith503) {
  auto gw = StartGateway();
  ASSERT_TRUE(
      gw->SetRoutes({MakeRoute({"h"}, {MakeBackend("ns/old", 100, std::vector<std::string>{})})})
          .ok());
  TestClient c(gw->port());
  ASSERT_TRUE(c.SendRaw("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  ASSERT_TRUE(WaitUntil([&] { return gw->RevisionSnapshot("ns/old")->held == 1; }));
  ASSERT_TRUE(gw->SetRoutes({}).ok());
  auto r = c.ReadResponse();
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(ErrorOf(r).find("removed"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace skiff::gateway
