// The scale (autoscaling/v1 Scale), pod log and namespace finalize subresources.
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "api/jsonpath.h"
#include "apiserver/errors.h"
#include "apiserver/lifecycle.h"
#include "apiserver/object_meta.h"

namespace skiff::apiserver {
namespace {

// Reads a dotted path like ".spec.replicas".
Json ReadPath(const Json& obj, const std::string& path) {
  auto r = api::EvaluateJsonPath(obj, path);
  return r.ok() && !r->empty() ? (*r)[0] : Json();
}

void WritePath(Json& obj, const std::string& path, Json value) {
  Json* cur = &obj;
  size_t i = path.starts_with(".") ? 1 : 0;
  while (i < path.size()) {
    size_t dot = path.find('.', i);
    std::string key = path.substr(i, dot == std::string::npos ? std::string::npos : dot - i);
    if (!cur->is_object()) *cur = Json::object();
    cur = &(*cur)[key];
    if (dot == std::string::npos) break;
    i = dot + 1;
  }
  *cur = std::move(value);
}

std::string SelectorString(const Json& sel) {
  if (sel.is_string()) return sel.get<std::string>();
  std::string out;
  if (sel.is_object() && sel.contains("matchLabels") && sel["matchLabels"].is_object()) {
    for (auto& [k, v] : sel["matchLabels"].items()) {
      if (!out.empty()) out += ",";
      out += k + "=" + (v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, Json::error_handler_t::replace));
    }
  }
  return out;
}

Json ToScale(const api::KindInfo& kind, const Json& obj) {
  const api::ScaleSubresource& sc = kind.StorageVersion().scale;
  Json sel = sc.label_selector_path.empty() ? Json() : ReadPath(obj, sc.label_selector_path);
  if (sel.is_null() && obj.contains("spec") && obj["spec"].contains("selector")) sel = obj["spec"]["selector"];
  Json replicas = ReadPath(obj, sc.spec_replicas_path);
  Json status_replicas = ReadPath(obj, sc.status_replicas_path);
  const Json& m = obj.at("metadata");
  Json scale = {{"kind", "Scale"},
                {"apiVersion", "autoscaling/v1"},
                {"metadata",
                 {{"name", m.value("name", "")},
                  {"uid", m.value("uid", "")},
                  {"resourceVersion", m.value("resourceVersion", "")},
                  {"creationTimestamp", m.value("creationTimestamp", "")}}},
                {"spec", {{"replicas", replicas.is_number() ? replicas : Json(0)}}},
                {"status", {{"replicas", status_replicas.is_number() ? status_replicas : Json(0)}}}};
  if (m.contains("namespace")) scale["metadata"]["namespace"] = m["namespace"];
  if (std::string s = SelectorString(sel); !s.empty()) scale["status"]["selector"] = s;
  return scale;
}

}  // namespace

Awaitable<void> HandleScale(Context& ctx, Request& req, ResponseWriter& w, const ResourcePath& p) {
  auto fail = [&](const Status& s) -> Awaitable<void> { co_await w.Send(ErrorResponse(s)); };
  if (!p.kind->StorageVersion().scale_subresource) {
    co_return co_await fail(ReasonError(404, "NotFound", "the server could not find the requested resource"));
  }
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto current = ctx.store->Get(p.kind->ResourceId(), p.ns, p.name);
    if (!current) co_return co_await fail(NotFoundError(*p.kind, p.name));
    Json scale = ToScale(*p.kind, *current->value);
    if (req.method == "GET") {
      co_return co_await w.Send(MakeResponse(200, "application/json", DumpJson(scale)));
    }
    Json updated;
    auto body = ParseJson(req.body);
    if (!body.ok()) co_return co_await fail(BadRequestError(body.status().message()));
    if (req.method == "PUT") {
      updated = *body;
    } else if (req.method == "PATCH") {
      std::string ct = req.Header("content-type");
      if (ct.starts_with("application/json-patch+json")) {
        auto r = Json(scale).patch(*body);
        updated = r;
      } else {
        updated = scale;
        updated.merge_patch(*body);
      }
    } else {
      co_return co_await fail(ReasonError(405, "MethodNotAllowed", "method not allowed"));
    }
    if (!updated.contains("spec") || !updated["spec"].contains("replicas") ||
        !updated["spec"]["replicas"].is_number_integer() || updated["spec"]["replicas"].get<int64_t>() < 0) {
      Status s = InvalidError(*p.kind, p.name,
                              {{"FieldValueInvalid", "Invalid value: must be a non-negative integer",
                                "spec.replicas"}});
      co_return co_await fail(s);
    }
    std::string rv = updated.contains("metadata") ? updated["metadata"].value("resourceVersion", "") : "";
    if (!rv.empty() && rv != std::to_string(current->revision)) co_return co_await fail(ConflictError(*p.kind, p.name));
    Json obj = *current->value;
    WritePath(obj, p.kind->StorageVersion().scale.spec_replicas_path, updated["spec"]["replicas"]);
    if (obj != *current->value) obj["metadata"]["generation"] = obj["metadata"].value("generation", 1) + 1;
    auto stored = co_await AwaitUpdate(ctx, current->resource, current->ns, current->name,
                                       current->revision, std::move(obj));
    if (!stored.ok() && stored.status().code() == StatusCode::kAborted) continue;
    if (!stored.ok()) co_return co_await fail(stored.status());
    co_return co_await w.Send(MakeResponse(200, "application/json", DumpJson(ToScale(*p.kind, *(*stored)->value))));
  }
  co_await fail(ConflictError(*p.kind, p.name));
}

// Outside the coroutine: GCC 12 miscompiles braced initializers inside co_await expressions.
Status BindingTargetRequired(const api::KindInfo& kind, const std::string& name) {
  return InvalidError(kind, name, {{"FieldValueRequired", "Required value", "target.name"}});
}

Awaitable<void> HandlePodBinding(Context& ctx, Request& req, ResponseWriter& w,
                                 const ResourcePath& p) {
  auto fail = [&](const Status& s) -> Awaitable<void> { co_await w.Send(ErrorResponse(s)); };
  if (!(p.kind->group.empty() && p.kind->kind == "Pod") || req.method != "POST") {
    co_return co_await fail(
        ReasonError(405, "MethodNotAllowed", "the server does not allow this method"));
  }
  auto body = ParseJson(req.body);
  if (!body.ok() || !body->is_object()) {
    co_return co_await fail(BadRequestError("the object provided is unrecognized"));
  }
  std::string node;
  if (body->contains("target") && (*body)["target"].is_object()) {
    node = (*body)["target"].value("name", "");
  }
  if (node.empty()) {
    Status invalid = BindingTargetRequired(*p.kind, p.name);
    co_return co_await fail(invalid);
  }
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto current = ctx.store->Get(p.kind->ResourceId(), p.ns, p.name);
    if (!current) co_return co_await fail(NotFoundError(*p.kind, p.name));
    Json obj = *current->value;
    if (obj["metadata"].contains("deletionTimestamp")) {
      co_return co_await fail(ReasonError(409, "Conflict",
                                          "pod " + p.name + " is being deleted, cannot be assigned to a host"));
    }
    std::string bound = obj["spec"].value("nodeName", "");
    if (!bound.empty()) {
      co_return co_await fail(ReasonError(
          409, "Conflict", "pod " + p.name + " is already assigned to node \"" + bound + "\""));
    }
    obj["spec"]["nodeName"] = node;
    Json& status = obj["status"];
    if (!status.is_object()) status = Json::object();
    Json& conds = status["conditions"];
    if (!conds.is_array()) conds = Json::array();
    std::string now = FormatRfc3339(ctx.clock->Now());
    bool found = false;
    for (Json& c : conds) {
      if (c.value("type", "") == "PodScheduled") {
        c = {{"type", "PodScheduled"}, {"status", "True"}, {"lastProbeTime", nullptr},
             {"lastTransitionTime", now}};
        found = true;
      }
    }
    if (!found) {
      conds.push_back({{"type", "PodScheduled"}, {"status", "True"}, {"lastProbeTime", nullptr},
                       {"lastTransitionTime", now}});
    }
    auto stored = co_await AwaitUpdate(ctx, current->resource, current->ns, current->name,
                                       current->revision, std::move(obj));
    if (!stored.ok() && stored.status().code() == StatusCode::kAborted) continue;
    if (!stored.ok()) co_return co_await fail(stored.status());
    Json ok = {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", Json::object()},
               {"status", "Success"}, {"code", 201}};
    co_return co_await w.Send(MakeResponse(201, "application/json", DumpJson(ok)));
  }
  co_await fail(ConflictError(*p.kind, p.name));
}

Awaitable<void> HandlePodLog(Context& ctx, Request& req, ResponseWriter& w, const ResourcePath& p) {
  auto fail = [&](const Status& s) -> Awaitable<void> { co_await w.Send(ErrorResponse(s)); };
  if (!(p.kind->group.empty() && p.kind->kind == "Pod") || req.method != "GET") {
    co_return co_await fail(ReasonError(404, "NotFound", "the server could not find the requested resource"));
  }
  auto pod = ctx.store->Get("pods", p.ns, p.name);
  if (!pod) co_return co_await fail(NotFoundError(*p.kind, p.name));
  const Json& spec = pod->value->value("spec", Json::object());
  std::string container = req.Query("container");
  std::vector<std::string> names;
  if (spec.contains("containers")) {
    for (const auto& c : spec["containers"]) names.push_back(c.value("name", ""));
  }
  if (!container.empty()) {
    // Only a container of this pod: the name becomes part of a file path.
    bool known = false;
    for (const char* list : {"containers", "initContainers", "ephemeralContainers"}) {
      if (!spec.contains(list) || !spec[list].is_array()) continue;
      for (const auto& c : spec[list]) known = known || (c.is_object() && c.value("name", "") == container);
    }
    if (!known) {
      co_return co_await fail(BadRequestError("container " + container + " is not valid for pod " + p.name));
    }
  }
  if (container.empty()) {
    if (names.size() != 1) {
      std::string list;
      for (auto& n : names) list += (list.empty() ? "" : " ") + n;
      co_return co_await fail(BadRequestError("a container name must be specified for pod " + p.name +
                                              ", choose one of: [" + list + "]"));
    }
    container = names[0];
  }
  std::filesystem::path file = std::filesystem::path(ctx.data_dir) / "logs" / p.ns / p.name /
                               (container + (req.QueryBool("previous") ? ".previous.log" : ".log"));
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    co_return co_await fail(BadRequestError("container \"" + container + "\" in pod \"" + p.name +
                                            "\" is waiting to start: ContainerCreating"));
  }
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The node agent writes CRI log lines, "<RFC 3339 nano time> <stdout|stderr> <F|P> <text>"
  // (P: a partial line continued by the next one). Any other line is passed through as is.
  bool timestamps = req.QueryBool("timestamps");
  std::string since;  // lines stamped before this (same 30-byte format) are skipped
  if (std::string ss = req.Query("sinceSeconds"); !ss.empty()) {
    since = FormatRfc3339(ctx.clock->Now() - std::chrono::seconds(std::atoll(ss.c_str())), 9);
  } else if (std::string st = req.Query("sinceTime"); !st.empty()) {
    if (auto t = ParseRfc3339(st); t.ok()) since = FormatRfc3339(*t, 9);
  }
  std::string partial;  // text of P lines awaiting their F line
  auto render = [&](std::string_view chunk) {
    std::string out;
    size_t pos = 0;
    while (pos < chunk.size()) {
      size_t nl = chunk.find('\n', pos);
      if (nl == std::string_view::npos) nl = chunk.size();
      std::string_view line = chunk.substr(pos, nl - pos);
      pos = nl + 1;
      size_t a = line.find(' ');
      size_t b = a == std::string_view::npos ? a : line.find(' ', a + 1);
      bool cri = a == 30 && line[29] == 'Z' && b != std::string_view::npos && b + 2 <= line.size() &&
                 (line.substr(a + 1, b - a - 1) == "stdout" || line.substr(a + 1, b - a - 1) == "stderr") &&
                 (line[b + 1] == 'F' || line[b + 1] == 'P');
      if (!cri) {
        out.append(line).push_back('\n');
        continue;
      }
      std::string_view ts = line.substr(0, a);
      std::string_view text = b + 3 <= line.size() ? line.substr(b + 3) : std::string_view();
      if (!since.empty() && ts < std::string_view(since)) {
        partial.clear();
        continue;
      }
      if (line[b + 1] == 'P') {
        partial.append(text);
        continue;
      }
      if (timestamps) out.append(ts).push_back(' ');
      out.append(partial).append(text).push_back('\n');
      partial.clear();
    }
    return out;
  };
  // Only whole lines are rendered; a line still being written waits for the next read.
  size_t complete = raw.rfind('\n');
  complete = complete == std::string::npos ? 0 : complete + 1;
  std::string data = render(std::string_view(raw).substr(0, complete));
  std::string carry = raw.substr(complete);
  if (std::string t = req.Query("tailLines"); !t.empty()) {
    long n = std::atol(t.c_str());
    size_t pos = data.size();
    if (pos && data[pos - 1] == '\n') --pos;
    while (n > 0 && pos > 0) {
      pos = data.rfind('\n', pos - 1);
      if (pos == std::string::npos) { pos = 0; break; }
      if (--n == 0) { ++pos; break; }
    }
    data = data.substr(n > 0 ? 0 : pos);
  }
  if (std::string lb = req.Query("limitBytes"); !lb.empty()) {
    long long limit = std::atoll(lb.c_str());
    if (limit > 0 && static_cast<size_t>(limit) < data.size()) data.resize(static_cast<size_t>(limit));
  }
  if (!req.QueryBool("follow")) {
    co_return co_await w.Send(MakeResponse(200, "text/plain", std::move(data)));
  }
  if (!co_await w.StartStream("text/plain", {})) co_return;
  if (!data.empty() && !co_await w.WriteChunk(std::move(data))) co_return;
  // Follow: poll the file for growth until the pod goes away or finishes, or the client leaves.
  std::error_code size_ec;
  auto offset = std::filesystem::file_size(file, size_ec);
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  for (;;) {
    timer.expires_after(std::chrono::milliseconds(100));
    co_await timer.async_wait(boost::asio::use_awaitable);
    std::error_code ec;
    auto size = std::filesystem::file_size(file, ec);
    // The node agent moves the log to <c>.previous.log when the container restarts (and cuts
    // an oversized log): a smaller file is read again from its start.
    if (!ec && size < offset) {
      offset = 0;
      carry.clear();
      partial.clear();
    }
    if (!ec && size > offset) {
      std::ifstream f(file, std::ios::binary);
      f.seekg(static_cast<std::streamoff>(offset));
      std::string more(size - offset, '\0');
      f.read(more.data(), static_cast<std::streamsize>(more.size()));
      offset = size;
      carry += more;
      size_t end = carry.rfind('\n');
      if (end == std::string::npos) continue;
      std::string chunk = render(std::string_view(carry).substr(0, end + 1));
      carry.erase(0, end + 1);
      if (!chunk.empty() && !co_await w.WriteChunk(std::move(chunk))) co_return;
      continue;  // drain everything before deciding the stream is over
    }
    auto current = ctx.store->Get("pods", p.ns, p.name);
    if (!current) break;
    // A finished pod's containers never write again (the kubelet ends the stream at exit).
    const Json& st = current->value->value("status", Json::object());
    std::string phase = st.is_object() ? st.value("phase", "") : "";
    if (phase == "Succeeded" || phase == "Failed") break;
  }
  co_await w.EndStream();
}

Awaitable<void> HandleNamespaceFinalize(Context& ctx, Request& req, ResponseWriter& w,
                                        const ResourcePath& p) {
  auto fail = [&](const Status& s) -> Awaitable<void> { co_await w.Send(ErrorResponse(s)); };
  if (!(p.kind->group.empty() && p.kind->kind == "Namespace") || req.method != "PUT") {
    co_return co_await fail(ReasonError(404, "NotFound", "the server could not find the requested resource"));
  }
  auto body = ParseJson(req.body);
  if (!body.ok()) co_return co_await fail(BadRequestError(body.status().message()));
  auto current = ctx.store->Get("namespaces", "", p.name);
  if (!current) co_return co_await fail(NotFoundError(*p.kind, p.name));
  Json obj = *current->value;
  obj["spec"]["finalizers"] = body->contains("spec") ? (*body)["spec"].value("finalizers", Json::array()) : Json::array();
  bool remove = obj["metadata"].contains("deletionTimestamp") && obj["spec"]["finalizers"].empty() &&
                (!obj["metadata"].contains("finalizers") || obj["metadata"]["finalizers"].empty());
  StatusOr<store::ObjectPtr> stored = NotFound(p.name);
  if (remove) {
    stored = co_await AwaitDelete(ctx, "namespaces", "", p.name, current->revision);
  } else {
    stored = co_await AwaitUpdate(ctx, "namespaces", "", p.name, current->revision, std::move(obj));
  }
  if (!stored.ok()) co_return co_await fail(stored.status());
  co_await w.Send(MakeResponse(200, "application/json", (*stored)->encoded));
}

}  // namespace skiff::apiserver
