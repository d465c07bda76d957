# Router: unit tests of the test-side wire bytes and fuzz generator, and the router's
# integration tests (real HAProxy + PostgreSQL primary/replica per shard + psql).
shardgate_add_unit_tests(pgwire_unit_tests
  SOURCES ${PROJECT_SOURCE_DIR}/tests/harness/pgwire_messages_test.cc
          ${PROJECT_SOURCE_DIR}/tests/harness/pgwire_messages.cc
          ${PROJECT_SOURCE_DIR}/tests/harness/pgwire_fuzz.cc
  LIBS shardgate_common)

shardgate_add_integration_test(router_integration_tests
  SOURCES router_fixture.cc router_routing_test.cc router_malformed_test.cc router_runtime_test.cc
          router_auth_test.cc
  LIBS shardgate_haproxy
  TIMEOUT 300)
