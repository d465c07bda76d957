# The dev stack's control plane: Stack with the Consul dev server and one shardgate-agent per node.
if(TARGET shardgate_agent)
  shardgate_add_integration_test(devstack_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/devstack_test.cc
    LIBS shardgate_haproxy shardgate_consul
    TIMEOUT 120)
  add_dependencies(devstack_test shardgate-agent shardgate-consul-dev)
endif()
