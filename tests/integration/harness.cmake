# The harness's own smoke test: PostgreSQL primary + replica, freeze/thaw, HAProxy, teardown.
shardgate_add_integration_test(harness_smoke_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/harness_smoke_test.cc
  LIBS shardgate_haproxy)
