# agent/: shardgate-agent end to end (real PostgreSQL, dev Consul, agent processes).
if(TARGET shardgate_agent)
  shardgate_add_integration_test(agent_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/agent_test.cc
    LIBS shardgate_consul
    TIMEOUT 240)
  add_dependencies(agent_test shardgate-agent shardgate-consul-dev)
endif()

# agent/: the PgBouncer pool queue (real PgBouncer) and Consul maintenance mode (dev Consul).
if(TARGET shardgate_agent)
  shardgate_add_integration_test(agent_pool_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/agent_pool_test.cc
    LIBS shardgate_consul
    TIMEOUT 120)
  add_dependencies(agent_pool_test shardgate-agent shardgate-consul-dev)
endif()
