#include "discovery/k8s_api.h"

#include <cctype>
#include <optional>

namespace beamlink::discovery::k8s {
namespace {

constexpr size_t kMaxQuotedBody = 200;

ApiFailure no_answer(const Error& error) {
  return ApiFailure{error, 0};
}

}  // namespace

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

KubernetesApi::KubernetesApi(std::shared_ptr<HttpClient> client, ApiConfig config)
    : client_(std::move(client)), config_(std::move(config)), token_(config_.token_path) {
  std::string group(api_group(config_.resource));
  collection_ = (group.empty() ? "/api/v1" : "/apis/" + group + "/v1") + "/namespaces/" +
                config_.ns + "/" + std::string(resource_name(config_.resource));
}

std::string KubernetesApi::list_target() const {
  std::string target = collection_ + "?labelSelector=" + url_encode(config_.selector);
  if (config_.cached_list) target += "&resourceVersion=0";
  return target;
}

std::string KubernetesApi::watch_target(const std::string& resource_version,
                                        std::chrono::seconds timeout) const {
  return collection_ + "?labelSelector=" + url_encode(config_.selector) +
         "&watch=true&resourceVersion=" + url_encode(resource_version) +
         "&allowWatchBookmarks=true&timeoutSeconds=" + std::to_string(timeout.count());
}

Result<HttpHeaders> KubernetesApi::headers() const {
  auto token = token_.token();
  if (!token) return std::unexpected(token.error());
  HttpHeaders headers{{"Accept", "application/json"}, {"User-Agent", "beamlink"}};
  if (!token->empty()) headers.emplace_back("Authorization", "Bearer " + *token);
  return headers;
}

ApiFailure KubernetesApi::failure_of(const HttpResponse& response) const {
  std::string detail;
  if (auto status = parse_status(response.body); status && !status->message.empty()) {
    detail = status->message;
  } else {
    detail = response.body.substr(0, kMaxQuotedBody);
    for (char& c : detail) {
      if (static_cast<unsigned char>(c) < ' ') c = ' ';
    }
  }
  std::string resource(resource_name(config_.resource));
  std::string group(api_group(config_.resource));
  std::string message;
  if (response.status == 401) {
    message = "401 Unauthorized from the Kubernetes API at " + config_.server +
              ": it refused the service account token in " + token_.path() +
              " (missing, expired or not for this cluster; the file is read again whenever it "
              "changes)";
  } else if (response.status == 403) {
    message = "403 Forbidden: the service account needs get/list/watch on " + resource +
              (group.empty() ? "" : "." + group) + " in namespace " + config_.ns +
              " (Role + RoleBinding: apiGroups [\"" + group + "\"], resources [\"" + resource +
              "\"], verbs [\"get\", \"list\", \"watch\"])";
  } else {
    message = "the Kubernetes API at " + config_.server + " answered " +
              std::to_string(response.status) +
              (response.reason.empty() ? "" : " " + response.reason);
  }
  if (!detail.empty()) message += ": " + detail;
  Errc code = response.status == 401 || response.status == 403 ? Errc::refused : Errc::io;
  return ApiFailure{Error{code, std::move(message)}, response.status};
}

ApiResult<ObjectList> KubernetesApi::list() const {
  auto headers = this->headers();
  if (!headers) return std::unexpected(no_answer(headers.error()));
  auto response = client_->request("GET", list_target(), *headers);
  if (!response) return std::unexpected(no_answer(response.error()));
  if (response->status != 200) return std::unexpected(failure_of(*response));
  auto list = parse_list(config_.resource, response->body);
  if (!list) return std::unexpected(no_answer(list.error()));
  return std::move(*list);
}

ApiResult<void> KubernetesApi::watch(const std::string& resource_version,
                                     std::chrono::seconds timeout,
                                     const std::function<bool(WatchEvent)>& on_event) const {
  auto headers = this->headers();
  if (!headers) return std::unexpected(no_answer(headers.error()));
  std::optional<Error> bad_line;
  auto response = client_->stream(watch_target(resource_version, timeout), *headers,
                                  [&](std::string_view line) {
                                    auto event = parse_watch_event(config_.resource, line);
                                    if (!event) {
                                      bad_line = event.error();
                                      return false;
                                    }
                                    return on_event(std::move(*event));
                                  });
  if (!response) return std::unexpected(no_answer(response.error()));
  if (response->status != 200) return std::unexpected(failure_of(*response));
  if (bad_line) return std::unexpected(no_answer(*bad_line));
  return {};
}

}  // namespace beamlink::discovery::k8s
