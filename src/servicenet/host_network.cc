// rtnetlink requests for links and IPv4 addresses: one NETLINK_ROUTE socket per call, a request
// with NLM_F_ACK, and the kernel's error code mapped to a Status.
#include "servicenet/host_network.h"

// <net/if.h> must precede the linux/ headers: it tells linux/libc-compat.h not to redefine
// struct ifreq and the IFF_ flags, so clang-format must not regroup it.
// clang-format off
#include <net/if.h>
// clang-format on

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <functional>

#include "servicenet/dns_message.h"

namespace skiff::servicenet {
namespace {

Status FromErrno(int err, std::string_view what) {
  std::string msg = std::string(what) + ": " + std::strerror(err);
  switch (err) {
    case EPERM:
    case EACCES:
      return Status(StatusCode::kPermissionDenied, msg);
    case ENODEV:
    case ENOENT:
    case EADDRNOTAVAIL:
      return NotFound(msg);
    case EEXIST:
      return AlreadyExists(msg);
    case EOPNOTSUPP:
      return Unimplemented(msg);
    default:
      return Internal(msg);
  }
}

// Builds one netlink message with nested attributes.
class Message {
 public:
  Message(uint16_t type, uint16_t flags) {
    buf_.resize(NLMSG_HDRLEN);
    auto* h = header();
    h->nlmsg_type = type;
    h->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
    h->nlmsg_seq = 1;
  }
  template <typename T>
  void Put(const T& body) {
    Append(&body, sizeof(T));
  }
  void Attr(uint16_t type, const void* data, size_t len) {
    rtattr a{};
    a.rta_len = static_cast<unsigned short>(RTA_LENGTH(len));
    a.rta_type = type;
    Append(&a, sizeof(a));
    Append(data, len);
  }
  void AttrString(uint16_t type, std::string_view s) {
    std::string z(s);
    Attr(type, z.c_str(), z.size() + 1);
  }
  size_t BeginNest(uint16_t type) {
    size_t at = buf_.size();
    Attr(type, nullptr, 0);
    return at;
  }
  void EndNest(size_t at) {
    auto* a = reinterpret_cast<rtattr*>(buf_.data() + at);
    a->rta_len = static_cast<unsigned short>(buf_.size() - at);
  }
  const char* data() {
    header()->nlmsg_len = static_cast<uint32_t>(buf_.size());
    return buf_.data();
  }
  size_t size() const { return buf_.size(); }

 private:
  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(buf_.data()); }
  void Append(const void* data, size_t len) {
    size_t at = buf_.size();
    buf_.resize(at + NLMSG_ALIGN(len));
    if (len) std::memcpy(buf_.data() + at, data, len);
  }
  std::string buf_;
};

// Sends `msg` and reads replies until the ack (or NLMSG_DONE for dumps), passing each data
// message to `on_message`.
Status Transact(Message& msg, std::string_view what,
                const std::function<void(const nlmsghdr*)>& on_message = {}) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return FromErrno(errno, "netlink socket");
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) < 0) {
    int err = errno;
    close(fd);
    return FromErrno(err, "netlink bind");
  }
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  size_t len = msg.size();
  const char* data = msg.data();
  if (sendto(fd, data, len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel)) < 0) {
    int err = errno;
    close(fd);
    return FromErrno(err, what);
  }
  std::string buf(1 << 16, '\0');
  Status result = Status::Ok();
  for (bool done = false; !done;) {
    ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      result = FromErrno(errno, what);
      break;
    }
    int remaining = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, remaining);
         h = NLMSG_NEXT(h, remaining)) {
      if (h->nlmsg_type == NLMSG_DONE) {
        done = true;
        break;
      }
      if (h->nlmsg_type == NLMSG_ERROR) {
        auto* e = reinterpret_cast<nlmsgerr*>(NLMSG_DATA(h));
        if (e->error != 0) result = FromErrno(-e->error, what);
        done = true;
        break;
      }
      if (on_message) on_message(h);
    }
  }
  close(fd);
  return result;
}

StatusOr<int> IfIndex(std::string_view name) {
  unsigned idx = if_nametoindex(std::string(name).c_str());
  if (idx == 0) return NotFound("network interface " + std::string(name) + " does not exist");
  return static_cast<int>(idx);
}

Status CreateLink(std::string_view name, std::string_view kind) {
  Message m(RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  m.Put(info);
  m.AttrString(IFLA_IFNAME, name);
  size_t nest = m.BeginNest(IFLA_LINKINFO);
  m.AttrString(IFLA_INFO_KIND, kind);
  m.EndNest(nest);
  Status s = Transact(m, "create " + std::string(kind) + " " + std::string(name));
  if (s.code() == StatusCode::kAlreadyExists) return Status::Ok();
  return s;
}

Status SetUp(std::string_view name) {
  SKIFF_ASSIGN_OR_RETURN(int idx, IfIndex(name));
  Message m(RTM_NEWLINK, NLM_F_ACK);
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  info.ifi_index = idx;
  info.ifi_flags = IFF_UP;
  info.ifi_change = IFF_UP;
  m.Put(info);
  return Transact(m, "set " + std::string(name) + " up");
}

Status ChangeAddress(uint16_t type, std::string_view iface, std::string_view cidr) {
  std::string_view ip = cidr.substr(0, cidr.find('/'));
  int prefix = 32;
  if (auto slash = cidr.find('/'); slash != std::string_view::npos) {
    prefix = std::atoi(std::string(cidr.substr(slash + 1)).c_str());
  }
  auto parsed = ParseIpv4(ip);
  if (!parsed || prefix < 0 || prefix > 32) {
    return InvalidArgument("not an IPv4 address: " + std::string(cidr));
  }
  SKIFF_ASSIGN_OR_RETURN(int idx, IfIndex(iface));
  uint16_t flags = NLM_F_ACK;
  if (type == RTM_NEWADDR) flags |= NLM_F_CREATE | NLM_F_EXCL;
  Message m(type, flags);
  ifaddrmsg a{};
  a.ifa_family = AF_INET;
  a.ifa_prefixlen = static_cast<unsigned char>(prefix);
  a.ifa_scope = RT_SCOPE_UNIVERSE;
  a.ifa_index = static_cast<unsigned>(idx);
  m.Put(a);
  uint32_t be = htonl(*parsed);
  m.Attr(IFA_LOCAL, &be, 4);
  m.Attr(IFA_ADDRESS, &be, 4);
  std::string what = std::string(type == RTM_NEWADDR ? "add " : "remove ") + std::string(cidr) +
                     (type == RTM_NEWADDR ? " to " : " from ") + std::string(iface);
  return Transact(m, what);
}

}  // namespace

Status HostNetwork::EnsureBridge(std::string_view name, std::string_view cidr) {
  SKIFF_RETURN_IF_ERROR(CreateLink(name, "bridge"));
  Status s = ChangeAddress(RTM_NEWADDR, name, cidr);
  if (!s.ok() && s.code() != StatusCode::kAlreadyExists) return s;
  return SetUp(name);
}

Status HostNetwork::EnsureAddressInterface(std::string_view name) {
  Status s = CreateLink(name, "dummy");
  // EOPNOTSUPP: no dummy driver (a container without the module). A port-less bridge carries
  // local /32 addresses just as well.
  if (s.code() == StatusCode::kUnimplemented) s = CreateLink(name, "bridge");
  SKIFF_RETURN_IF_ERROR(s);
  return SetUp(name);
}

Status HostNetwork::AddAddress(std::string_view iface, std::string_view ip) {
  Status s = ChangeAddress(RTM_NEWADDR, iface, std::string(ip) + "/32");
  return s.code() == StatusCode::kAlreadyExists ? Status::Ok() : s;
}

Status HostNetwork::RemoveAddress(std::string_view iface, std::string_view ip) {
  Status s = ChangeAddress(RTM_DELADDR, iface, std::string(ip) + "/32");
  return s.code() == StatusCode::kNotFound ? Status::Ok() : s;
}

StatusOr<std::vector<std::string>> HostNetwork::ListAddresses(std::string_view iface) {
  SKIFF_ASSIGN_OR_RETURN(int idx, IfIndex(iface));
  Message m(RTM_GETADDR, NLM_F_DUMP);
  ifaddrmsg req{};
  req.ifa_family = AF_INET;
  m.Put(req);
  std::vector<std::string> out;
  SKIFF_RETURN_IF_ERROR(Transact(m, "list addresses", [&](const nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWADDR) return;
    auto* a = reinterpret_cast<const ifaddrmsg*>(NLMSG_DATA(h));
    if (static_cast<int>(a->ifa_index) != idx || a->ifa_family != AF_INET) return;
    int len = static_cast<int>(IFA_PAYLOAD(h));
    for (auto* rta = IFA_RTA(a); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
      if (rta->rta_type == IFA_LOCAL && RTA_PAYLOAD(rta) == 4) {
        uint32_t be;
        std::memcpy(&be, RTA_DATA(rta), 4);
        out.push_back(FormatIpv4(ntohl(be)));
      }
    }
  }));
  return out;
}

Status HostNetwork::DeleteInterface(std::string_view name) {
  auto idx = IfIndex(name);
  if (!idx.ok()) return Status::Ok();
  Message m(RTM_DELLINK, NLM_F_ACK);
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  info.ifi_index = *idx;
  m.Put(info);
  Status s = Transact(m, "delete " + std::string(name));
  return s.code() == StatusCode::kNotFound ? Status::Ok() : s;
}

}  // namespace skiff::servicenet
