// RestClient against an in-process HTTP(S) server: TLS trust, auth, keep-alive reuse, stale
// connection retry, Kubernetes Status conversion, line streaming and deadlines.
#include "client/rest_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "client/test_server.h"

namespace skiff::client {
namespace {

using testing::TestRequest;
using testing::TestResponse;
using testing::TestServer;

RestConfig ConfigFor(const TestServer& server) {
  RestConfig config;
  config.server = server.url();
  config.ca_data = server.ca_pem();
  config.token = "secret-token";
  return config;
}

std::unique_ptr<RestClient> MustCreate(const RestConfig& config, RestClientOptions options = {}) {
  auto client = RestClient::Create(config, std::move(options));
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return client.ok() ? *std::move(client) : nullptr;
}

TEST(QueryEscapeTest, EscapesReservedCharacters) {
  EXPECT_EQ(QueryEscape("metadata.name=foo,a!=b c"), "metadata.name%3Dfoo%2Ca%21%3Db%20c");
  EXPECT_EQ(QueryEscape("abc-_.~XYZ09"), "abc-_.~XYZ09");
  EXPECT_EQ(EncodeQuery({{"fieldSelector", "metadata.name=x"}, {"limit", "500"}}),
            "fieldSelector=metadata.name%3Dx&limit=500");
}

TEST(StatusFromResponseTest, ParsesKubernetesStatus) {
  Status s = StatusFromResponse(404, R"({"kind":"Status","apiVersion":"v1","status":"Failure",
      "message":"trainjobs.trainer.kubeflow.org \"x\" not found","reason":"NotFound",
      "details":{"name":"x","group":"trainer.kubeflow.org","kind":"trainjobs"},"code":404})");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "trainjobs.trainer.kubeflow.org \"x\" not found");
  ASSERT_NE(s.details(), nullptr);
  EXPECT_EQ(s.details()->reason, "NotFound");
  EXPECT_EQ(s.details()->http_code, 404);
  EXPECT_EQ(s.details()->name, "x");
  EXPECT_EQ(s.details()->group, "trainer.kubeflow.org");
  EXPECT_EQ(s.details()->kind, "trainjobs");
}

TEST(StatusFromResponseTest, CarriesCauses) {
  Status s = StatusFromResponse(
      422,
      R"({"kind":"Status","status":"Failure","message":"TrainJob.trainer.kubeflow.org \"x\" is invalid",
      "reason":"Invalid","code":422,"details":{"name":"x","kind":"TrainJob","causes":[
      {"reason":"FieldValueInvalid","message":"Invalid value: -1","field":"spec.trainer.numNodes"}]}})");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  ASSERT_NE(s.details(), nullptr);
  ASSERT_EQ(s.details()->causes.size(), 1u);
  EXPECT_EQ(s.details()->causes[0].field, "spec.trainer.numNodes");
  EXPECT_EQ(s.details()->causes[0].reason, "FieldValueInvalid");
}

TEST(StatusFromResponseTest, MapsReasonsToCodes) {
  EXPECT_EQ(CodeForReason("Conflict", 409), StatusCode::kAborted);
  EXPECT_EQ(CodeForReason("AlreadyExists", 409), StatusCode::kAlreadyExists);
  EXPECT_EQ(CodeForReason("Expired", 410), StatusCode::kOutOfRange);
  EXPECT_EQ(CodeForReason("Gone", 410), StatusCode::kOutOfRange);
  EXPECT_EQ(CodeForReason("Unauthorized", 401), StatusCode::kUnauthenticated);
  EXPECT_EQ(CodeForReason("Forbidden", 403), StatusCode::kPermissionDenied);
  EXPECT_EQ(CodeForReason("BadRequest", 400), StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeForReason("", 503), StatusCode::kUnavailable);
}

TEST(StatusFromResponseTest, NonStatusBodyUsesHttpCode) {
  Status s = StatusFromResponse(404, "404 page not found\n");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "the server could not find the requested resource");
  EXPECT_EQ(s.details()->reason, "NotFound");
  Status e = StatusFromResponse(500, "boom");
  EXPECT_EQ(e.code(), StatusCode::kInternal);
  EXPECT_EQ(e.details()->reason, "InternalError");
}

TEST(RestClientTest, SendsAuthQueryAndBodyOverTls) {
  TestServer server({}, [](const TestRequest& r) {
    return TestResponse{.status = 201, .body = R"({"ok":true})"};
  });
  auto client = MustCreate(ConfigFor(server));
  Request req{.method = "POST",
              .path = "/apis/example.com/v1/namespaces/ns/widgets",
              .query = {{"fieldManager", "kubectl-client-side-apply"},
                        {"fieldSelector", "metadata.name=a b"}},
              .body = R"({"a":1})"};
  auto res = client->Do(req);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->status, 201);
  EXPECT_EQ(res->body, R"({"ok":true})");
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].path, "/apis/example.com/v1/namespaces/ns/widgets");
  EXPECT_EQ(seen[0].query,
            "fieldManager=kubectl-client-side-apply&fieldSelector=metadata.name%3Da%20b");
  EXPECT_EQ(seen[0].headers["authorization"], "Bearer secret-token");
  EXPECT_EQ(seen[0].headers["content-type"], "application/json");
  EXPECT_EQ(seen[0].headers["accept"], "application/json");
  EXPECT_EQ(seen[0].body, R"({"a":1})");
}

TEST(RestClientTest, ReusesKeepAliveConnections) {
  TestServer server({}, [](const TestRequest&) { return TestResponse{.body = "{}"}; });
  auto client = MustCreate(ConfigFor(server));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client->Do(Request{.path = "/version"}).ok());
  }
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(RestClientTest, RetriesWhenServerDroppedIdleConnection) {
  TestServer server({.tls = true, .one_request_per_connection = true},
                    [](const TestRequest&) { return TestResponse{.body = "{}"}; });
  auto client = MustCreate(ConfigFor(server));
  ASSERT_TRUE(client->Do(Request{.path = "/a"}).ok());
  auto second = client->Do(Request{.path = "/b"});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(RestClientTest, DropsIdleConnectionsTheServerClosed) {
  TestServer server({.tls = true, .one_request_per_connection = true},
                    [](const TestRequest&) { return TestResponse{.body = "{}"}; });
  auto client = MustCreate(ConfigFor(server));
  ASSERT_TRUE(client->Do(Request{.path = "/a"}).ok());
  ASSERT_TRUE(server.WaitForClosedConnections(1));
  // Not replayable, so it must not be sent on the dead connection.
  auto post = client->Do(Request{.method = "POST", .path = "/b", .body = "{}"});
  ASSERT_TRUE(post.ok()) << post.status().ToString();
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(RestClientTest, DoesNotReplayAPostTheServerMayHaveProcessed) {
  std::atomic<int> posts{0};
  TestServer server({}, [&](const TestRequest& r) {
    if (r.method == "POST") {
      ++posts;
      return TestResponse{.drop = true};
    }
    return TestResponse{.body = "{}"};
  });
  auto client = MustCreate(ConfigFor(server));
  ASSERT_TRUE(client->Do(Request{.path = "/a"}).ok());
  auto post = client->Do(Request{.method = "POST", .path = "/b", .body = "{}"});
  EXPECT_EQ(post.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(posts.load(), 1);
}

TEST(RestClientTest, ReplaysAGetOnAConnectionThatDied) {
  std::atomic<int> gets{0};
  TestServer server({}, [&](const TestRequest& r) {
    if (r.path == "/b" && gets++ == 0) {
      return TestResponse{.drop = true};
    }
    return TestResponse{.body = "{}"};
  });
  auto client = MustCreate(ConfigFor(server));
  ASSERT_TRUE(client->Do(Request{.path = "/a"}).ok());
  auto get = client->Do(Request{.path = "/b"});
  ASSERT_TRUE(get.ok()) << get.status().ToString();
  EXPECT_EQ(gets.load(), 2);
  EXPECT_EQ(server.connections(), 2);
}

TEST(RestClientTest, ConvertsErrorReplies) {
  TestServer server({}, [](const TestRequest&) {
    return TestResponse{.status = 409,
                        .body = R"({"kind":"Status","status":"Failure","reason":"Conflict",
                                  "message":"the object has been modified","code":409})"};
  });
  auto client = MustCreate(ConfigFor(server));
  auto res = client->Do(Request{.path = "/x"});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kAborted);
  EXPECT_EQ(res.status().message(), "the object has been modified");
}

TEST(RestClientTest, ReportsWarnings) {
  TestServer server({}, [](const TestRequest&) {
    return TestResponse{.body = "{}",
                        .headers = {{"Warning", R"(299 - "unknown field \"spec.foo\"")"}}};
  });
  std::vector<std::string> warnings;
  RestClientOptions options;
  options.on_warning = [&](std::string_view w) { warnings.emplace_back(w); };
  auto client = MustCreate(ConfigFor(server), options);
  auto res = client->Do(Request{.path = "/x"});
  ASSERT_TRUE(res.ok());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], R"(unknown field "spec.foo")");
  EXPECT_EQ(res->warnings, warnings);
}

TEST(RestClientTest, RejectsUntrustedServerCertificate) {
  TestServer server({}, [](const TestRequest&) { return TestResponse{.body = "{}"}; });
  RestConfig config = ConfigFor(server);
  config.ca_data = testing::OtherCaPem();
  auto client = MustCreate(config);
  auto res = client->Do(Request{.path = "/x"});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(res.status().message().find("x509"), std::string::npos) << res.status().message();
  EXPECT_TRUE(server.requests().empty());
}

TEST(RestClientTest, InsecureSkipsVerification) {
  TestServer server({}, [](const TestRequest&) { return TestResponse{.body = "{}"}; });
  RestConfig config = ConfigFor(server);
  config.ca_data.clear();
  config.insecure = true;
  auto client = MustCreate(config);
  EXPECT_TRUE(client->Do(Request{.path = "/x"}).ok());
}

TEST(RestClientTest, PlainHttpAndBasicAuth) {
  TestServer server({.tls = false}, [](const TestRequest&) { return TestResponse{.body = "{}"}; });
  RestConfig config;
  config.server = server.url();
  config.username = "admin";
  config.password = "pw";
  auto client = MustCreate(config);
  ASSERT_TRUE(client->Do(Request{.path = "/x"}).ok());
  EXPECT_EQ(server.requests()[0].headers["authorization"], "Basic YWRtaW46cHc=");
}

TEST(RestClientTest, StreamsLinesAcrossChunks) {
  TestServer server({}, [](const TestRequest&) {
    return TestResponse{.chunks = {"{\"type\":\"ADDED\"}\n{\"ty", "pe\":\"MODIFIED\"}\n", "tail"}};
  });
  auto client = MustCreate(ConfigFor(server));
  std::vector<std::string> lines;
  Status st = client->Stream(Request{.path = "/w"}, [&](std::string_view line) {
    lines.emplace_back(line);
    return true;
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(lines,
            (std::vector<std::string>{R"({"type":"ADDED"})", R"({"type":"MODIFIED"})", "tail"}));
  // The finished stream leaves a reusable connection.
  ASSERT_TRUE(client->Do(Request{.path = "/again"}).ok());
  EXPECT_EQ(server.connections(), 1);
}

TEST(RestClientTest, StreamStopsWhenCallbackDeclines) {
  TestServer server({}, [](const TestRequest&) { return TestResponse{.chunks = {"a\nb\nc\n"}}; });
  auto client = MustCreate(ConfigFor(server));
  std::vector<std::string> lines;
  Status st = client->Stream(Request{.path = "/w"}, [&](std::string_view line) {
    lines.emplace_back(line);
    return lines.size() < 2;
  });
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "b"}));
}

TEST(RestClientTest, StreamDeliversLinesBeforeTheBodyEnds) {
  // A watch: one event, then the server keeps the stream open.
  TestServer server({}, [](const TestRequest&) {
    return TestResponse{.chunks = {"{\"type\":\"ADDED\"}\n"}, .hang = true};
  });
  auto client = MustCreate(ConfigFor(server));
  std::vector<std::string> lines;
  Status st = client->Stream(Request{.path = "/w", .timeout = std::chrono::seconds(30)},
                             [&](std::string_view line) {
                               lines.emplace_back(line);
                               return false;
                             });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(lines, std::vector<std::string>{"{\"type\":\"ADDED\"}"});
}

TEST(RestClientTest, StreamConvertsErrorReplies) {
  TestServer server({}, [](const TestRequest&) {
    return TestResponse{
        .status = 404,
        .body =
            R"({"kind":"Status","reason":"NotFound","message":"pods \"p\" not found","code":404})"};
  });
  auto client = MustCreate(ConfigFor(server));
  Status st = client->Stream(Request{.path = "/log"}, [](std::string_view) { return true; });
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_EQ(st.message(), "pods \"p\" not found");
}

TEST(RestClientTest, DeadlineBoundsAHungRequest) {
  TestServer server({}, [](const TestRequest&) { return TestResponse{.hang = true}; });
  auto client = MustCreate(ConfigFor(server));
  auto res = client->Do(Request{.path = "/slow", .timeout = std::chrono::milliseconds(200)});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kDeadlineExceeded);
  Status st = client->Stream(Request{.path = "/slow", .timeout = std::chrono::milliseconds(200)},
                             [](std::string_view) { return true; });
  EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded);
}

TEST(RestClientTest, ConnectionRefusedIsUnavailable) {
  std::string url;
  {
    TestServer server({}, [](const TestRequest&) { return TestResponse{}; });
    url = server.url();
  }
  RestConfig config;
  config.server = url;
  config.insecure = true;
  auto client = MustCreate(config);
  auto res = client->Do(Request{.path = "/x"});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(res.status().message().find("dial tcp 127.0.0.1:"), std::string::npos);
}

TEST(RestClientTest, RejectsBadServerUrl) {
  RestConfig config;
  config.server = "ftp://x";
  EXPECT_FALSE(RestClient::Create(config).ok());
}

}  // namespace
}  // namespace skiff::client
