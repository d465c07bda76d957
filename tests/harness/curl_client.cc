// curl as a client (see curl_client.h).
#include "tests/harness/curl_client.h"

#include <cctype>

#include "tests/harness/process.h"

namespace shardgate::harness {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

}  // namespace

Result<CurlReply> ParseCurlOutput(const std::string& out) {
  size_t pos = 0;
  while (true) {
    size_t end = out.find("\r\n\r\n", pos);
    if (end == std::string::npos || out.compare(pos, 5, "HTTP/") != 0) {
      return ProtocolError("curl output has no HTTP status line: " + out.substr(pos, 200));
    }
    std::string head = out.substr(pos, end - pos);
    CurlReply reply;
    size_t sp = head.find(' ');
    reply.status = sp == std::string::npos ? 0 : std::atoi(head.c_str() + sp + 1);
    if (reply.status >= 100 && reply.status < 200) {
      pos = end + 4;
      continue;
    }
    size_t line = head.find("\r\n");
    while (line != std::string::npos) {
      size_t next = head.find("\r\n", line + 2);
      std::string h = head.substr(line + 2,
                                  next == std::string::npos ? std::string::npos : next - line - 2);
      size_t colon = h.find(':');
      if (colon != std::string::npos) {
        reply.headers[Lower(h.substr(0, colon))] = Trim(h.substr(colon + 1));
      }
      line = next;
    }
    reply.body = out.substr(end + 4);
    return reply;
  }
}

Result<CurlReply> Curl(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  std::vector<std::string> argv = {"curl", "-sS", "-i", "--max-time",
                                   std::to_string(std::max<long>(1, timeout.count() / 1000))};
  argv.insert(argv.end(), args.begin(), args.end());
  ASSIGN_OR_RETURN(CommandResult run, RunCommand(argv, {}, timeout + std::chrono::seconds(5)));
  if (run.exit_code != 0) {
    return Unavailable("curl exited " + std::to_string(run.exit_code) + ": " + run.err);
  }
  return ParseCurlOutput(run.out);
}

}  // namespace shardgate::harness
