// TestServer implementation (test-only; see test_server.h): blocking Beast on one thread per
// connection, plus an OpenSSL-generated self-signed certificate.
#include "client/test_server.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

namespace skiff::client::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::string BioToString(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

// Returns {certificate PEM, private key PEM} for a self-signed CA-capable certificate valid for
// 127.0.0.1 and localhost.
std::pair<std::string, std::string> MakeSelfSigned() {
  static std::atomic<long> serial{1};
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("skiff-test"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x, key, EVP_sha256());
  BIO* cert_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cert_bio, x);
  BIO* key_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(key_bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  X509_free(x);
  EVP_PKEY_free(key);
  return {BioToString(cert_bio), BioToString(key_bio)};
}

}  // namespace

std::string OtherCaPem() { return MakeSelfSigned().first; }

struct TestServer::Impl {
  TestServerOptions options;
  std::function<TestResponse(const TestRequest&)> handler;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::optional<ssl::context> ctx;
  std::string cert_pem;
  std::thread accept_thread;

  mutable std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  int connections = 0;
  int closed = 0;
  std::vector<TestRequest> requests;
  std::vector<std::thread> threads;
  std::vector<std::shared_ptr<std::atomic<int>>> fds;  // -1 once the connection ended

  void AcceptLoop() {
    while (true) {
      tcp::socket sock(ioc);
      beast::error_code ec;
      acceptor.accept(sock, ec);
      std::lock_guard<std::mutex> lock(mu);
      if (stopping) {
        return;
      }
      if (ec) {
        continue;
      }
      ++connections;
      auto fd = std::make_shared<std::atomic<int>>(sock.native_handle());
      fds.push_back(fd);
      threads.emplace_back([this, fd, s = std::move(sock)]() mutable {
        Serve(std::move(s));
        std::lock_guard<std::mutex> lock(mu);
        fd->store(-1);
        ++closed;
        cv.notify_all();
      });
    }
  }

  template <class Stream>
  void ServeStream(Stream& stream) {
    beast::flat_buffer buffer;
    while (true) {
      http::request<http::string_body> req;
      beast::error_code ec;
      http::read(stream, buffer, req, ec);
      if (ec) {
        return;
      }
      TestRequest tr;
      tr.method = std::string(req.method_string());
      std::string target(req.target());
      size_t q = target.find('?');
      tr.path = target.substr(0, q);
      tr.query = q == std::string::npos ? "" : target.substr(q + 1);
      for (const auto& field : req) {
        std::string name(field.name_string());
        for (char& c : name) {
          c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        tr.headers[name] = std::string(field.value());
      }
      tr.body = req.body();
      {
        std::lock_guard<std::mutex> lock(mu);
        requests.push_back(tr);
      }
      TestResponse res = handler(tr);
      if (res.drop) {
        return;
      }
      if (res.hang && res.chunks.empty()) {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [this] { return stopping; });
        return;
      }
      if (res.chunks.empty()) {
        http::response<http::string_body> out{static_cast<http::status>(res.status), 11};
        out.set(http::field::content_type, res.content_type);
        for (const auto& [k, v] : res.headers) {
          out.insert(k, v);
        }
        out.body() = res.body;
        out.keep_alive(req.keep_alive());
        out.prepare_payload();
        http::write(stream, out, ec);
      } else {
        http::response<http::empty_body> out{static_cast<http::status>(res.status), 11};
        out.set(http::field::content_type, res.content_type);
        out.chunked(true);
        http::response_serializer<http::empty_body> sr{out};
        http::write_header(stream, sr, ec);
        for (const std::string& chunk : res.chunks) {
          asio::write(stream, http::make_chunk(asio::buffer(chunk)), ec);
        }
        if (res.hang) {
          std::unique_lock<std::mutex> lock(mu);
          cv.wait(lock, [this] { return stopping; });
          return;
        }
        asio::write(stream, http::make_chunk_last(), ec);
      }
      if (ec || options.one_request_per_connection) {
        return;
      }
    }
  }

  void Serve(tcp::socket sock) {
    if (ctx) {
      ssl::stream<tcp::socket> stream(std::move(sock), *ctx);
      beast::error_code ec;
      stream.handshake(ssl::stream_base::server, ec);
      if (!ec) {
        ServeStream(stream);
      }
    } else {
      ServeStream(sock);
    }
  }
};

TestServer::TestServer(TestServerOptions options,
                       std::function<TestResponse(const TestRequest&)> handler)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  impl_->handler = std::move(handler);
  if (options.tls) {
    auto [cert, key] = MakeSelfSigned();
    impl_->cert_pem = cert;
    impl_->ctx.emplace(ssl::context::tls_server);
    impl_->ctx->use_certificate_chain(asio::buffer(cert));
    impl_->ctx->use_private_key(asio::buffer(key), ssl::context::pem);
  }
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  impl_->accept_thread = std::thread([this] { impl_->AcceptLoop(); });
}

TestServer::~TestServer() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
    for (auto& fd : impl_->fds) {
      if (int f = fd->load(); f >= 0) {
        ::shutdown(f, SHUT_RDWR);
      }
    }
  }
  impl_->cv.notify_all();
  ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
  impl_->accept_thread.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    threads.swap(impl_->threads);
  }
  for (std::thread& t : threads) {
    t.join();
  }
}

std::string TestServer::url() const {
  return std::string(impl_->options.tls ? "https" : "http") +
         "://127.0.0.1:" + std::to_string(impl_->acceptor.local_endpoint().port());
}

std::string TestServer::ca_pem() const { return impl_->cert_pem; }

int TestServer::connections() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->connections;
}

bool TestServer::WaitForClosedConnections(int n) const {
  std::unique_lock<std::mutex> lock(impl_->mu);
  return impl_->cv.wait_for(lock, std::chrono::seconds(30), [&] { return impl_->closed >= n; });
}

std::vector<TestRequest> TestServer::requests() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->requests;
}

}  // namespace skiff::client::testing
