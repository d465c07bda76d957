# agent_bench: node-death detection latency (agent -> Consul vs HAProxy's own check and
# agent-check), agent CPU/RSS at 100 ms, Consul writes per minute. Run by bench/run.sh.
if(TARGET shardgate_agent AND TARGET shardgate-consul-dev)
  add_executable(agent_bench ${CMAKE_CURRENT_SOURCE_DIR}/agent_bench.cc)
  target_link_libraries(agent_bench PRIVATE shardgate_consul shardgate_harness)
  target_include_directories(agent_bench PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_definitions(agent_bench PRIVATE SHARDGATE_DEFAULT_BINARY_DIR="${PROJECT_BINARY_DIR}")
  set_target_properties(agent_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
  add_dependencies(agent_bench shardgate-agent shardgate-consul-dev)
endif()
