# agent/: shardgate-agent end to end (real PostgreSQL, dev Consul, agent processes).
if(TARGET shardgate_agent)
  shardgate_add_integration_test(agent_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/agent_test.cc
    LIBS shardgate_consul
    TIMEOUT 240)
  add_dependencies(agent_test shardgate-agent shardgate-consul-dev)
endif()
