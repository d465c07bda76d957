# haproxy/: the rendered configuration against the real HAProxy (`haproxy -c`, map push).
shardgate_add_integration_test(haproxy_config_check
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/haproxy_config_check_test.cc
  LIBS shardgate_haproxy
  TIMEOUT 120)
