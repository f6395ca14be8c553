// ApiServer wiring: data dir, TLS and token, store, kinds, default namespaces,
// kubeconfig, garbage collector, and the request router with authentication.
#include "apiserver/apiserver.h"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "api/registry.h"
#include "apiserver/certs.h"
#include "apiserver/context.h"
#include "apiserver/errors.h"
#include "apiserver/gc.h"
#include "apiserver/object_meta.h"
#include "apiserver/server.h"
#include "base/base64.h"
#include "base/metrics.h"

namespace skiff::apiserver {
namespace {

namespace fs = std::filesystem;

StatusOr<std::string> ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return NotFound(p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status WriteFile(const fs::path& p, const std::string& data, fs::perms perms) {
  fs::path tmp = p;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Unavailable("cannot write " + tmp.string());
    out << data;
  }
  std::error_code ec;
  fs::permissions(tmp, perms, ec);
  fs::rename(tmp, p, ec);
  if (ec) return Unavailable("cannot write " + p.string() + ": " + ec.message());
  return Status::Ok();
}

std::string RandomToken() {
  unsigned char buf[24];
  RAND_bytes(buf, sizeof(buf));
  return Base64Encode(std::string_view(reinterpret_cast<char*>(buf), sizeof(buf)), true, false);
}

// Parses /api/v1/... and /apis/{g}/{v}/... into a ResourcePath (kind resolved).
StatusOr<ResourcePath> ParsePath(Context& ctx, const std::string& path) {
  std::vector<std::string> segs;
  size_t i = 1;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) segs.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  ResourcePath p;
  size_t k;
  if (segs.size() >= 2 && segs[0] == "api") {
    p.version = segs[1];
    k = 2;
  } else if (segs.size() >= 3 && segs[0] == "apis") {
    p.group = segs[1];
    p.version = segs[2];
    k = 3;
  } else {
    return NotFound("path");
  }
  std::vector<std::string> rest(segs.begin() + k, segs.end());
  for (const auto& s : rest) {
    if (s == "." || s == ".." || s.find('%') != std::string::npos) {
      return ReasonError(400, "BadRequest", "invalid path segment \"" + s + "\"");
    }
  }
  if (rest.empty()) return NotFound("path");
  if (rest[0] == "namespaces" && rest.size() >= 2) {
    if (rest.size() == 2 || (rest.size() == 3 && (rest[2] == "status" || rest[2] == "finalize"))) {
      p.plural = "namespaces";
      p.name = rest[1];
      if (rest.size() == 3) p.subresource = rest[2];
    } else {
      p.ns = rest[1];
      rest.erase(rest.begin(), rest.begin() + 2);
    }
  }
  if (p.plural.empty()) {
    p.plural = rest[0];
    if (rest.size() >= 2) p.name = rest[1];
    if (rest.size() >= 3) p.subresource = rest[2];
    if (rest.size() > 3) return NotFound("path");
  }
  p.kind = ctx.registry->ByResource(p.group, p.plural);
  if (!p.kind) return NotFound("resource");
  p.kind_version = p.kind->Version(p.version);
  if (!p.kind_version) return NotFound("version");
  if (!p.kind->namespaced && !p.ns.empty()) return NotFound("cluster-scoped");
  if (p.kind->namespaced && p.ns.empty() && !p.name.empty()) return NotFound("namespace required");
  return p;
}

Response Text(int code, std::string body) { return Response{code, "text/plain; charset=utf-8", std::move(body), {}}; }

class ApiServerImpl final : public ApiServer {
 public:
  Status Init(const ApiServerOptions& o) {
    options_ = o;
    fs::path dir = o.data_dir;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Unavailable("cannot create data dir " + dir.string() + ": " + ec.message());
    ctx_.data_dir = dir.string();
    ctx_.kueue_webhooks = options_.kueue_webhooks;
    ctx_.clock = std::make_unique<RealClock>();

    store::StoreOptions so;
    so.path = (dir / "skiff.db").string();
    so.synchronous = o.synchronous;
    so.history = o.watch_history;
    SKIFF_ASSIGN_OR_RETURN(ctx_.store, store::Store::Open(so));
    SKIFF_ASSIGN_OR_RETURN(ctx_.registry, api::Registry::LoadBuiltins());
    for (const auto& crd : ctx_.store->List("customresourcedefinitions.apiextensions.k8s.io", "", "", 0).items) {
      auto kind = api::KindFromCrd(*crd->value);
      if (kind.ok()) {
        (void)ctx_.registry->Register(*kind);
      } else {
        spdlog::warn("component=apiserver stored CRD {} no longer valid: {}", crd->name, kind.status().message());
      }
    }
    SKIFF_RETURN_IF_ERROR(SeedNamespaces());

    // Credentials: created once, reused on restart.
    auto token = ReadFile(dir / "token");
    if (!token.ok()) {
      SKIFF_RETURN_IF_ERROR(WriteFile(dir / "token", RandomToken(), fs::perms::owner_read | fs::perms::owner_write));
      token = ReadFile(dir / "token");
    }
    ctx_.token = *token;
    ServerOptions sopt;
    sopt.listen = o.listen;
    sopt.threads = o.threads;
    std::string host = o.listen.substr(0, o.listen.rfind(':'));
    if (o.tls) {
      auto cert = ReadFile(dir / "apiserver.crt");
      auto key = ReadFile(dir / "apiserver.key");
      auto ca = ReadFile(dir / "ca.crt");
      if (!cert.ok() || !key.ok() || !ca.ok()) {
        std::vector<std::string> hosts = {"127.0.0.1", "localhost", "::1", "kubernetes",
                                          "kubernetes.default", "kubernetes.default.svc"};
        if (!host.empty() && host != "0.0.0.0" && std::find(hosts.begin(), hosts.end(), host) == hosts.end()) {
          hosts.push_back(host);
        }
        SKIFF_ASSIGN_OR_RETURN(TlsMaterial tls, GenerateTlsMaterial(hosts));
        auto priv = fs::perms::owner_read | fs::perms::owner_write;
        auto pub = priv | fs::perms::group_read | fs::perms::others_read;
        SKIFF_RETURN_IF_ERROR(WriteFile(dir / "ca.crt", tls.ca_cert_pem, pub));
        SKIFF_RETURN_IF_ERROR(WriteFile(dir / "ca.key", tls.ca_key_pem, priv));
        SKIFF_RETURN_IF_ERROR(WriteFile(dir / "apiserver.crt", tls.cert_pem, pub));
        SKIFF_RETURN_IF_ERROR(WriteFile(dir / "apiserver.key", tls.key_pem, priv));
        cert = tls.cert_pem;
        key = tls.key_pem;
        ca = tls.ca_cert_pem;
      }
      sopt.cert_pem = *cert;
      sopt.key_pem = *key;
      ca_pem_ = *ca;
    }
    gc_ = GarbageCollector::Start(ctx_);
    SKIFF_ASSIGN_OR_RETURN(server_, HttpServer::Start(sopt, [this](Request& r, ResponseWriter& w) {
                             return Handle(r, w);
                           }));
    std::string client_host = host.empty() || host == "0.0.0.0" ? "127.0.0.1" : host;
    if (client_host.find(':') != std::string::npos && client_host.front() != '[') {
      client_host = "[" + client_host + "]";
    }
    ctx_.server_address = client_host + ":" + std::to_string(server_->port());
    url_ = std::string(o.tls ? "https://" : "http://") + ctx_.server_address;
    SKIFF_RETURN_IF_ERROR(WriteFile(dir / "kubeconfig", Kubeconfig(), fs::perms::owner_read | fs::perms::owner_write));
    spdlog::info("component=apiserver listening on {} data_dir={}", url_, ctx_.data_dir);
    return Status::Ok();
  }

  ~ApiServerImpl() override { Stop(); }

  int port() const override { return server_ ? server_->port() : 0; }
  std::string url() const override { return url_; }
  std::string kubeconfig_path() const override { return (fs::path(options_.data_dir) / "kubeconfig").string(); }

  void Stop() override {
    if (server_) server_->Stop();
    gc_.reset();
    server_.reset();
    ctx_.store.reset();
  }

 private:
  Status SeedNamespaces() {
    std::string now = FormatRfc3339(ctx_.clock->Now());
    for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
      if (ctx_.store->Get("namespaces", "", ns)) continue;
      Json obj = {{"apiVersion", "v1"},
                  {"kind", "Namespace"},
                  {"metadata",
                   {{"name", ns}, {"uid", NewUid()}, {"creationTimestamp", now},
                    {"labels", {{"kubernetes.io/metadata.name", ns}}}}},
                  {"spec", {{"finalizers", {"kubernetes"}}}},
                  {"status", {{"phase", "Active"}}}};
      auto r = ctx_.store->CreateSync("namespaces", "", ns, std::move(obj));
      if (!r.ok() && r.status().code() != StatusCode::kAlreadyExists) return r.status();
    }
    return Status::Ok();
  }

  std::string Kubeconfig() const {
    Json cluster = {{"server", url_}};
    if (!ca_pem_.empty()) cluster["certificate-authority-data"] = Base64Encode(ca_pem_);
    Json kc = {{"apiVersion", "v1"},
               {"kind", "Config"},
               {"clusters", {{{"name", "skiff"}, {"cluster", cluster}}}},
               {"users", {{{"name", "skiff-admin"}, {"user", {{"token", ctx_.token}}}}}},
               {"contexts",
                {{{"name", "skiff"},
                  {"context", {{"cluster", "skiff"}, {"user", "skiff-admin"}, {"namespace", "default"}}}}}},
               {"current-context", "skiff"},
               {"preferences", Json::object()}};
    // JSON is valid YAML; kubectl and the Python client read it as such.
    return DumpJsonPretty(kc) + "\n";
  }

  bool Authenticated(const Request& req) const {
    std::string auth = req.Header("authorization");
    return auth.size() > 7 && auth.compare(0, 7, "Bearer ") == 0 && auth.substr(7) == ctx_.token;
  }

  Awaitable<void> Handle(Request& req, ResponseWriter& w) {
    const std::string& path = req.path;
    if (path == "/healthz" || path == "/livez" || path == "/readyz" || path.starts_with("/healthz/") ||
        path.starts_with("/livez/") || path.starts_with("/readyz/")) {
      std::string body = req.HasQuery("verbose") ? "[+]ping ok\n[+]etcd ok\nhealthz check passed\n" : "ok";
      co_return co_await w.Send(Text(200, body));
    }
    if (path == "/version" || path == "/version/") {
      Json v = {{"major", "1"}, {"minor", "32"}, {"gitVersion", "v1.32.0-skiff"},
                {"gitCommit", "skiff"}, {"gitTreeState", "clean"}, {"buildDate", "2026-11-27T00:00:00Z"},
                {"goVersion", "go1.23.4"}, {"compiler", "gc"}, {"platform", "linux/amd64"}};
      co_return co_await w.Send(MakeResponse(200, "application/json", DumpJson(v)));
    }
    if (!Authenticated(req)) {
      co_return co_await w.Send(ErrorResponse(ReasonError(401, "Unauthorized", "Unauthorized")));
    }
    if (path.starts_with("/openapi/")) co_return co_await w.Send(HandleOpenApi(ctx_, req));
    if (path == "/metrics") {
      // Components running in this process (the Kueue controllers, ...) register here.
      co_return co_await w.Send(
          MakeResponse(200, "text/plain; version=0.0.4; charset=utf-8", metrics::RenderAll()));
    }
    if (path == "/api" || path == "/api/" || path == "/apis" || path == "/apis/" ||
        (path.starts_with("/api") && !req.method.empty() && req.method == "GET" && IsDiscoveryPath(path))) {
      co_return co_await w.Send(HandleDiscovery(ctx_, req));
    }
    auto p = ParsePath(ctx_, path);
    if (!p.ok()) {
      if (p.status().details()) co_return co_await w.Send(ErrorResponse(p.status()));
      co_return co_await w.Send(
          ErrorResponse(ReasonError(404, "NotFound", "the server could not find the requested resource")));
    }
    // Never stored: answered from the node agent's usage samples.
    if (p->group == "metrics.k8s.io") co_return co_await HandleMetricsApi(ctx_, req, w, *p);
    co_await HandleResource(ctx_, req, w, std::move(*p));
  }

  static bool IsDiscoveryPath(const std::string& path) {
    // /api/v1 or /apis/{g} or /apis/{g}/{v} (no resource segment).
    size_t slashes = std::count(path.begin(), path.end(), '/');
    if (path.back() == '/') --slashes;
    if (path.starts_with("/api/")) return slashes == 2;
    if (path.starts_with("/apis/")) return slashes <= 3;
    return false;
  }

  ApiServerOptions options_;
  Context ctx_;
  std::unique_ptr<GarbageCollector> gc_;
  std::unique_ptr<HttpServer> server_;
  std::string ca_pem_;
  std::string url_;
};

}  // namespace

StatusOr<std::unique_ptr<ApiServer>> ApiServer::Start(const ApiServerOptions& options) {
  auto s = std::make_unique<ApiServerImpl>();
  SKIFF_RETURN_IF_ERROR(s->Init(options));
  return std::unique_ptr<ApiServer>(std::move(s));
}

}  // namespace skiff::apiserver
