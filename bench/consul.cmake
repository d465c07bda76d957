# consul_bench: blocking-watch wake-up latency, KV write rate and idle-watch CPU of the Consul
# client against a local shardgate-consul-dev. Run by bench/run.sh; never by ctest.
if(TARGET shardgate-consul-dev)
  add_executable(consul_bench ${CMAKE_CURRENT_SOURCE_DIR}/consul_bench.cc)
  target_link_libraries(consul_bench PRIVATE shardgate_consul shardgate_harness)
  target_include_directories(consul_bench PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_definitions(consul_bench PRIVATE
    SHARDGATE_DEFAULT_BINARY_DIR="${PROJECT_BINARY_DIR}")
  add_dependencies(consul_bench shardgate-consul-dev)
endif()
