# Consul conformance suite: against shardgate-consul-dev in `make test`, against a real Consul
# when CONSUL_HTTP_ADDR is set (docs/consul-dev.md).
if(TARGET shardgate-consul-dev)
  shardgate_add_integration_test(consul_conformance_test
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/consul_conformance_test.cc
    LIBS PkgConfig::HTTPLIB nlohmann_json::nlohmann_json
    TIMEOUT 180)
  add_dependencies(consul_conformance_test shardgate-consul-dev)
  set_tests_properties(consul_conformance_test PROPERTIES LABELS "integration;conformance")
endif()
