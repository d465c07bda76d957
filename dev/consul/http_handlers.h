// Endpoint handlers. Each gets the part of the path after its route prefix in `rest`.
#pragma once

#include <httplib.h>

#include <string>

#include "dev/consul/http_api.h"

namespace shardgate::consul::dev {

using Handler = void (*)(Api& api, const httplib::Request& req, httplib::Response& res,
                         const std::string& rest);

inline constexpr size_t kMaxValueSize = 512 * 1024;  // kv_max_value_size and txn_max_req_len

// http_kv.cc
void HandleKv(Api& api, const httplib::Request& req, httplib::Response& res,
              const std::string& rest);
void HandleTxn(Api& api, const httplib::Request& req, httplib::Response& res,
               const std::string& rest);
// http_session.cc
void HandleSessionCreate(Api& api, const httplib::Request& req, httplib::Response& res,
                         const std::string& rest);
void HandleSessionRenew(Api& api, const httplib::Request& req, httplib::Response& res,
                        const std::string& rest);
void HandleSessionDestroy(Api& api, const httplib::Request& req, httplib::Response& res,
                          const std::string& rest);
void HandleSessionInfo(Api& api, const httplib::Request& req, httplib::Response& res,
                       const std::string& rest);
void HandleSessionList(Api& api, const httplib::Request& req, httplib::Response& res,
                       const std::string& rest);
void HandleSessionNode(Api& api, const httplib::Request& req, httplib::Response& res,
                       const std::string& rest);
// http_agent.cc
void HandleServiceRegister(Api& api, const httplib::Request& req, httplib::Response& res,
                           const std::string& rest);
void HandleServiceDeregister(Api& api, const httplib::Request& req, httplib::Response& res,
                             const std::string& rest);
void HandleServiceMaintenance(Api& api, const httplib::Request& req, httplib::Response& res,
                              const std::string& rest);
void HandleCheckRegister(Api& api, const httplib::Request& req, httplib::Response& res,
                         const std::string& rest);
void HandleCheckDeregister(Api& api, const httplib::Request& req, httplib::Response& res,
                           const std::string& rest);
void HandleCheckPass(Api& api, const httplib::Request& req, httplib::Response& res,
                     const std::string& rest);
void HandleCheckWarn(Api& api, const httplib::Request& req, httplib::Response& res,
                     const std::string& rest);
void HandleCheckFail(Api& api, const httplib::Request& req, httplib::Response& res,
                     const std::string& rest);
void HandleCheckUpdate(Api& api, const httplib::Request& req, httplib::Response& res,
                       const std::string& rest);
// http_health.cc
void HandleAgentServices(Api& api, const httplib::Request& req, httplib::Response& res,
                         const std::string& rest);
void HandleAgentChecks(Api& api, const httplib::Request& req, httplib::Response& res,
                       const std::string& rest);
void HandleHealthService(Api& api, const httplib::Request& req, httplib::Response& res,
                         const std::string& rest);
void HandleHealthChecks(Api& api, const httplib::Request& req, httplib::Response& res,
                        const std::string& rest);
void HandleCatalogService(Api& api, const httplib::Request& req, httplib::Response& res,
                          const std::string& rest);
void HandleCatalogServices(Api& api, const httplib::Request& req, httplib::Response& res,
                           const std::string& rest);
void HandleStatusLeader(Api& api, const httplib::Request& req, httplib::Response& res,
                        const std::string& rest);
void HandleStatusPeers(Api& api, const httplib::Request& req, httplib::Response& res,
                       const std::string& rest);

}  // namespace shardgate::consul::dev
