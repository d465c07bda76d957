# Consul client against the dev server: CAS race, txn rollback, watches (change, reset, outage),
# ACL 403, sessions, service + TTL check in health.
if(TARGET shardgate-consul-dev)
  shardgate_add_integration_test(consul_client_test
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/consul_client_test.cc
    LIBS shardgate_consul
    TIMEOUT 240)
  add_dependencies(consul_client_test shardgate-consul-dev)

  # HTTPS: CA file, untrusted and mismatched certificates, plain http on the TLS port. The CA
  # and certificates are made at test time with the openssl command line.
  shardgate_add_integration_test(consul_tls_test
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/consul_tls_test.cc
    LIBS shardgate_consul
    TIMEOUT 120)
  add_dependencies(consul_tls_test shardgate-consul-dev)
endif()
