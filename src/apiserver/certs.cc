// TLS material generation with OpenSSL 3.
#include "apiserver/certs.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace skiff::apiserver {
namespace {

struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct X509Free { void operator()(X509* p) const { X509_free(p); } };
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;

std::string ToPem(int (*write)(BIO*, void*), void* obj) {
  BIO* bio = BIO_new(BIO_s_mem());
  write(bio, obj);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

std::string KeyPem(EVP_PKEY* k) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, k, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

std::string CertPem(X509* c) {
  return ToPem([](BIO* b, void* x) { return PEM_write_bio_X509(b, static_cast<X509*>(x)); }, c);
}

bool AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ex = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ex) return false;
  X509_add_ext(cert, ex, -1);
  X509_EXTENSION_free(ex);
  return true;
}

Cert MakeCert(EVP_PKEY* key, const char* cn, X509* issuer, EVP_PKEY* issuer_key) {
  Cert c(X509_new());
  X509_set_version(c.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof(serial));
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(c.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(c.get(), key);
  X509_NAME* name = X509_get_subject_name(c.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("skiff"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(c.get(), issuer ? X509_get_subject_name(issuer) : name);
  (void)issuer_key;
  return c;
}

}  // namespace

StatusOr<TlsMaterial> GenerateTlsMaterial(const std::vector<std::string>& hosts) {
  Pkey ca_key(EVP_EC_gen("P-256"));
  Pkey key(EVP_EC_gen("P-256"));
  if (!ca_key || !key) return Internal("cannot generate EC keys");
  Cert ca = MakeCert(ca_key.get(), "skiff-ca", nullptr, nullptr);
  AddExt(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
  AddExt(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
  AddExt(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
  if (!X509_sign(ca.get(), ca_key.get(), EVP_sha256())) return Internal("cannot sign CA");

  Cert cert = MakeCert(key.get(), "skiff-apiserver", ca.get(), ca_key.get());
  std::string san;
  for (const auto& h : hosts) {
    if (!san.empty()) san += ",";
    bool ip = h.find_first_not_of("0123456789.") == std::string::npos || h.find(':') != std::string::npos;
    san += (ip ? "IP:" : "DNS:") + h;
  }
  AddExt(cert.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  AddExt(cert.get(), ca.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment");
  AddExt(cert.get(), ca.get(), NID_ext_key_usage, "serverAuth");
  if (!san.empty() && !AddExt(cert.get(), ca.get(), NID_subject_alt_name, san.c_str())) {
    return Internal("bad subjectAltName " + san);
  }
  if (!X509_sign(cert.get(), ca_key.get(), EVP_sha256())) return Internal("cannot sign certificate");
  return TlsMaterial{CertPem(ca.get()), KeyPem(ca_key.get()), CertPem(cert.get()), KeyPem(key.get())};
}

}  // namespace skiff::apiserver
