// rtnetlink over one reusable socket per namespace, and netns create/delete without iproute2.
#include "node/netlink.h"

// <net/if.h> must precede the linux/ headers (linux/libc-compat.h then keeps struct ifreq and
// the IFF_ flags from being redefined), so clang-format must not regroup it.
// clang-format off
#include <net/if.h>
// clang-format on

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <thread>

namespace skiff::node {
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
    case ESRCH:
      return NotFound(msg);
    case EEXIST:
      return AlreadyExists(msg);
    case EOPNOTSUPP:
      return Unimplemented(msg);
    default:
      return Internal(msg);
  }
}

// One netlink message with (nested) attributes.
class Message {
 public:
  Message(uint16_t type, uint16_t flags) {
    buf_.resize(NLMSG_HDRLEN);
    auto* h = header();
    h->nlmsg_type = type;
    h->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
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
  void AttrU32(uint16_t type, uint32_t v) { Attr(type, &v, sizeof(v)); }
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
  const char* Finish(uint32_t seq) {
    header()->nlmsg_len = static_cast<uint32_t>(buf_.size());
    header()->nlmsg_seq = seq;
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

StatusOr<int> NewSocket() {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return FromErrno(errno, "netlink socket");
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) < 0) {
    int err = errno;
    close(fd);
    return FromErrno(err, "netlink bind");
  }
  return fd;
}

pid_t Tid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

// Makes /run/netns a shared mount point, as iproute2 does, so a namespace unmounted here is
// also unmounted in the pods' (slave) mount namespaces, which would otherwise keep it alive.
void EnsureSharedDir(const std::string& dir) {
  mkdir(dir.c_str(), 0755);
  if (mount("", dir.c_str(), "none", MS_SHARED | MS_REC, nullptr) == 0) return;
  if (errno != EINVAL) return;
  if (mount(dir.c_str(), dir.c_str(), "none", MS_BIND | MS_REC, nullptr) == 0) {
    (void)mount("", dir.c_str(), "none", MS_SHARED | MS_REC, nullptr);
  }
}

}  // namespace

// Sends one request and reads to its ack (or NLMSG_DONE), passing data messages on.
struct NetlinkRequest {
  static Status Run(Netlink& nl, Message& msg, std::string_view what,
                    const std::function<void(const nlmsghdr*)>& on_message = {}) {
    uint32_t seq = ++nl.seq_;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    size_t len = msg.size();
    const char* data = msg.Finish(seq);
    if (sendto(nl.fd_, data, len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel)) < 0) {
      return FromErrno(errno, what);
    }
    std::string buf(1 << 16, '\0');
    Status result;
    for (bool done = false; !done;) {
      ssize_t n = recv(nl.fd_, buf.data(), buf.size(), 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        return FromErrno(errno, what);
      }
      int remaining = static_cast<int>(n);
      for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, remaining);
           h = NLMSG_NEXT(h, remaining)) {
        if (h->nlmsg_seq != seq) continue;  // a late answer to an earlier, failed request
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
    return result;
  }
};

StatusOr<Netlink> Netlink::Open() {
  SKIFF_ASSIGN_OR_RETURN(int fd, NewSocket());
  return Netlink(fd);
}

StatusOr<Netlink> Netlink::OpenIn(const std::string& netns_path) {
  int ns = open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (ns < 0) return FromErrno(errno, "open " + netns_path);
  StatusOr<int> fd = Internal("netlink: no result");
  // setns(CLONE_NEWNET) moves only the calling thread; this one ends right after, so no other
  // thread of the agent ever runs in the pod's namespace. The socket stays bound to it.
  std::thread joiner([&] {
    if (setns(ns, CLONE_NEWNET) != 0) {
      fd = FromErrno(errno, "entering " + netns_path);
      return;
    }
    fd = NewSocket();
  });
  joiner.join();
  close(ns);
  if (!fd.ok()) return fd.status();
  return Netlink(*fd);
}

Netlink::Netlink(Netlink&& other) noexcept : fd_(other.fd_), seq_(other.seq_) { other.fd_ = -1; }
Netlink& Netlink::operator=(Netlink&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    seq_ = other.seq_;
    other.fd_ = -1;
  }
  return *this;
}
Netlink::~Netlink() {
  if (fd_ >= 0) close(fd_);
}

StatusOr<int> Netlink::LinkIndex(std::string_view name) {
  Message m(RTM_GETLINK, NLM_F_ACK);
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  m.Put(info);
  m.AttrString(IFLA_IFNAME, name);
  int index = 0;
  Status s =
      NetlinkRequest::Run(*this, m, "find link " + std::string(name), [&](const nlmsghdr* h) {
        if (h->nlmsg_type == RTM_NEWLINK) {
          index = reinterpret_cast<const ifinfomsg*>(NLMSG_DATA(h))->ifi_index;
        }
      });
  if (!s.ok()) return s;
  if (index <= 0) return NotFound("network interface " + std::string(name) + " does not exist");
  return index;
}

Status Netlink::CreateLink(std::string_view name, std::string_view kind) {
  Message m(RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  m.Put(info);
  m.AttrString(IFLA_IFNAME, name);
  size_t nest = m.BeginNest(IFLA_LINKINFO);
  m.AttrString(IFLA_INFO_KIND, kind);
  m.EndNest(nest);
  return NetlinkRequest::Run(*this, m, "create " + std::string(kind) + " " + std::string(name));
}

Status Netlink::CreateVeth(std::string_view name, std::string_view peer,
                           const std::string& peer_netns_path) {
  int ns = open(peer_netns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (ns < 0) return FromErrno(errno, "open " + peer_netns_path);
  Message m(RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  m.Put(info);
  m.AttrString(IFLA_IFNAME, name);
  size_t linkinfo = m.BeginNest(IFLA_LINKINFO);
  m.AttrString(IFLA_INFO_KIND, "veth");
  size_t data = m.BeginNest(IFLA_INFO_DATA);
  size_t peer_nest = m.BeginNest(VETH_INFO_PEER);
  ifinfomsg peer_info{};
  peer_info.ifi_family = AF_UNSPEC;
  m.Put(peer_info);
  m.AttrString(IFLA_IFNAME, peer);
  m.AttrU32(IFLA_NET_NS_FD, static_cast<uint32_t>(ns));
  m.EndNest(peer_nest);
  m.EndNest(data);
  m.EndNest(linkinfo);
  Status s = NetlinkRequest::Run(*this, m, "create veth " + std::string(name));
  close(ns);
  return s;
}

Status Netlink::SetUp(int index, int master) {
  Message m(RTM_NEWLINK, NLM_F_ACK);
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  info.ifi_index = index;
  info.ifi_flags = IFF_UP;
  info.ifi_change = IFF_UP;
  m.Put(info);
  if (master > 0) m.AttrU32(IFLA_MASTER, static_cast<uint32_t>(master));
  return NetlinkRequest::Run(*this, m, "set link " + std::to_string(index) + " up");
}

Status Netlink::AddAddress(int index, std::string_view ip, int prefix) {
  in_addr addr{};
  if (inet_pton(AF_INET, std::string(ip).c_str(), &addr) != 1 || prefix < 0 || prefix > 32) {
    return InvalidArgument("not an IPv4 address: " + std::string(ip));
  }
  Message m(RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  ifaddrmsg a{};
  a.ifa_family = AF_INET;
  a.ifa_prefixlen = static_cast<unsigned char>(prefix);
  a.ifa_scope = RT_SCOPE_UNIVERSE;
  a.ifa_index = static_cast<unsigned>(index);
  m.Put(a);
  m.Attr(IFA_LOCAL, &addr.s_addr, 4);
  m.Attr(IFA_ADDRESS, &addr.s_addr, 4);
  if (prefix < 31) {
    uint32_t mask = prefix == 0 ? 0 : htonl(~((1u << (32 - prefix)) - 1));
    uint32_t brd = addr.s_addr | ~mask;
    m.Attr(IFA_BROADCAST, &brd, 4);
  }
  return NetlinkRequest::Run(*this, m, "add address " + std::string(ip));
}

StatusOr<std::vector<std::string>> Netlink::Addresses(int index) {
  Message m(RTM_GETADDR, NLM_F_DUMP);
  ifaddrmsg req{};
  req.ifa_family = AF_INET;
  m.Put(req);
  std::vector<std::string> out;
  SKIFF_RETURN_IF_ERROR(NetlinkRequest::Run(*this, m, "list addresses", [&](const nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWADDR) return;
    auto* a = reinterpret_cast<const ifaddrmsg*>(NLMSG_DATA(h));
    if (static_cast<int>(a->ifa_index) != index || a->ifa_family != AF_INET) return;
    int len = static_cast<int>(IFA_PAYLOAD(h));
    for (auto* rta = IFA_RTA(a); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
      if (rta->rta_type == IFA_LOCAL && RTA_PAYLOAD(rta) == 4) {
        char text[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, RTA_DATA(rta), text, sizeof(text));
        out.emplace_back(text);
      }
    }
  }));
  return out;
}

Status Netlink::AddDefaultRoute(std::string_view gateway, int index) {
  in_addr gw{};
  if (inet_pton(AF_INET, std::string(gateway).c_str(), &gw) != 1) {
    return InvalidArgument("not an IPv4 address: " + std::string(gateway));
  }
  Message m(RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  rtmsg r{};
  r.rtm_family = AF_INET;
  r.rtm_table = RT_TABLE_MAIN;
  r.rtm_protocol = RTPROT_BOOT;
  r.rtm_scope = RT_SCOPE_UNIVERSE;
  r.rtm_type = RTN_UNICAST;
  m.Put(r);
  m.Attr(RTA_GATEWAY, &gw.s_addr, 4);
  m.AttrU32(RTA_OIF, static_cast<uint32_t>(index));
  return NetlinkRequest::Run(*this, m, "add default route via " + std::string(gateway));
}

Status Netlink::DeleteLink(std::string_view name) {
  Message m(RTM_DELLINK, NLM_F_ACK);
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  m.Put(info);
  m.AttrString(IFLA_IFNAME, name);
  return NetlinkRequest::Run(*this, m, "delete link " + std::string(name));
}

Status CreateNetns(const std::string& path) {
  std::string dir = path.substr(0, path.rfind('/'));
  EnsureSharedDir(dir);
  int fd = open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0) return FromErrno(errno, "create " + path);
  close(fd);
  Status result;
  // unshare(CLONE_NEWNET) moves only this short-lived thread into the new namespace; the bind
  // mount pins it after the thread is gone.
  std::thread maker([&] {
    if (unshare(CLONE_NEWNET) != 0) {
      result = FromErrno(errno, "unshare network namespace");
      return;
    }
    std::string self = "/proc/self/task/" + std::to_string(Tid()) + "/ns/net";
    if (mount(self.c_str(), path.c_str(), "none", MS_BIND, nullptr) != 0) {
      result = FromErrno(errno, "bind-mount network namespace at " + path);
    }
  });
  maker.join();
  if (!result.ok()) unlink(path.c_str());
  return result;
}

Status DeleteNetns(const std::string& path) {
  if (umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    return FromErrno(errno, "unmount " + path);
  }
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return FromErrno(errno, "remove " + path);
  return Status();
}

}  // namespace skiff::node
