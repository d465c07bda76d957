// CurlTransport: HttpTransport over pooled libcurl easy handles.
#include "consul/curl_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdio>
#include <utility>

namespace shardgate::consul {
namespace {

// Handles kept idle beyond this are closed: enough for the watchers of one process.
constexpr size_t kMaxIdleHandles = 32;

// libcurl's global state must be set up once, before any handle, and not concurrently.
void GlobalInitOnce() {
  static const CURLcode result = curl_global_init(CURL_GLOBAL_DEFAULT);
  (void)result;  // a failure shows up as a failing curl_easy_init() below
}

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// Called once per header line; a new status line (after a 100 Continue) starts a fresh set.
size_t WriteHeader(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<HttpHeaders*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    headers->clear();
    return size * count;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * count;
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  (*headers)[std::string(line.substr(0, colon))] = std::string(value);
  return size * count;
}

// libcurl calls this at least about once a second, even while a blocking query is idle, so a
// stop request aborts the transfer within about a second.
int Progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::stop_token*>(user)->stop_requested() ? 1 : 0;
}

Status TransportError(CURLcode code, const char* detail) {
  std::string message = detail[0] != '\0' ? detail : curl_easy_strerror(code);
  if (code == CURLE_OPERATION_TIMEDOUT) return Timeout(message);
  if (code == CURLE_ABORTED_BY_CALLBACK) return Unavailable("request cancelled");
  return Unavailable(message);
}

}  // namespace

Result<std::unique_ptr<CurlTransport>> CurlTransport::Create(CurlTransportOptions options) {
  if (!options.base_url.starts_with("http://") && !options.base_url.starts_with("https://")) {
    return InvalidArgument("consul address must start with http:// or https://: " +
                           options.base_url);
  }
  if (!options.ca_file.empty()) {
    FILE* file = std::fopen(options.ca_file.c_str(), "r");
    if (file == nullptr) return InvalidArgument("cannot read CA file " + options.ca_file);
    std::fclose(file);
  }
  GlobalInitOnce();
  return std::unique_ptr<CurlTransport>(new CurlTransport(std::move(options)));
}

CurlTransport::CurlTransport(CurlTransportOptions options) : options_(std::move(options)) {}

CurlTransport::~CurlTransport() {
  for (void* handle : idle_) curl_easy_cleanup(static_cast<CURL*>(handle));
}

void* CurlTransport::Borrow() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      void* handle = idle_.back();
      idle_.pop_back();
      return handle;
    }
  }
  return curl_easy_init();
}

void CurlTransport::Return(void* handle) {
  {
    std::lock_guard lock(mu_);
    if (idle_.size() < kMaxIdleHandles) {
      idle_.push_back(handle);
      return;
    }
  }
  curl_easy_cleanup(static_cast<CURL*>(handle));
}

namespace {

// Sets every option of one exchange on a freshly reset handle. `headers`, `error` and
// `response` must outlive curl_easy_perform().
void Configure(CURL* curl, const CurlTransportOptions& options, const HttpRequest& request,
               const std::string& url, curl_slist* headers, char* error, HttpResponse* response) {
  long timeout_ms = static_cast<long>(request.timeout.count());
  long connect_ms = std::min(timeout_ms, static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // required for multi-threaded use
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response->body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response->headers);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, Progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &request.cancel);
  if (!options.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_file.c_str());
  if (request.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    return;
  }
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (request.method != "DELETE" || !request.body.empty()) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  }
}

}  // namespace

Result<HttpResponse> CurlTransport::Do(const HttpRequest& request) {
  CURL* curl = static_cast<CURL*>(Borrow());
  if (curl == nullptr) return Unavailable("curl_easy_init failed");
  curl_easy_reset(curl);  // options only: the connection cache survives, which is the point

  const std::string url = options_.base_url + request.path;
  curl_slist* headers = curl_slist_append(nullptr, "Expect:");  // no 100-continue round trip
  for (const auto& [name, value] : request.headers) {
    headers = curl_slist_append(headers, (name + ": " + value).c_str());
  }
  HttpResponse response;
  char error[CURL_ERROR_SIZE] = {0};
  Configure(curl, options_, request, url, headers, error, &response);
  CURLcode code = request.cancel.stop_requested() ? CURLE_ABORTED_BY_CALLBACK
                                                  : curl_easy_perform(curl);
  long status = 0;
  if (code == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);  // the list is freed below
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_slist_free_all(headers);
  Return(curl);
  if (code != CURLE_OK) return TransportError(code, error);
  response.status = static_cast<int>(status);
  return response;
}

}  // namespace shardgate::consul
