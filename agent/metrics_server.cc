// /metrics over cpp-httplib.
#include "agent/metrics_server.h"

#include <httplib.h>

#include <chrono>
#include <thread>

#include "agent/metrics.h"

namespace shardgate::agent {

MetricsServer::MetricsServer(const StateBoard& board) : board_(board) {}

MetricsServer::~MetricsServer() { Stop(); }

Status MetricsServer::Start(const std::string& host, int port) {
  server_ = std::make_unique<httplib::Server>();
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(RenderMetrics(board_.Snapshot()), "text/plain; version=0.0.4");
  });
  port_ = port == 0 ? server_->bind_to_any_port(host)
                    : (server_->bind_to_port(host, port) ? port : -1);
  if (port_ <= 0)
    return Unavailable("metrics cannot listen on " + host + ":" + std::to_string(port));
  serving_ended_ = false;
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    serving_ended_ = true;
  });
  // httplib's stop() is lost until the thread is in its accept loop, and a Stop() right after
  // Start() would then hang in the join: return only once it serves (or gave up).
  while (!server_->is_running() && !serving_ended_)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return Status::Ok();
}

void MetricsServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace shardgate::agent
