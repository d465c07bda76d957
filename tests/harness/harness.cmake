# Harness pieces of the integration harness (process, ports, temp dirs, PostgreSQL, HAProxy, stack)
# and the `shardgate-devstack` program behind `make run` / `make start` / `make stop`.
target_link_libraries(shardgate_harness PUBLIC shardgate_haproxy shardgate_consul Threads::Threads)
target_compile_definitions(shardgate_harness PRIVATE
  SHARDGATE_DEFAULT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")

add_executable(shardgate-devstack ${CMAKE_CURRENT_SOURCE_DIR}/devstack_main.cc)
target_link_libraries(shardgate-devstack PRIVATE shardgate_harness)
# The stack runs the Consul dev server and the agents of this build ($SHARDGATE_BINARY_DIR wins).
target_compile_definitions(shardgate-devstack PRIVATE
  SHARDGATE_DEFAULT_BINARY_DIR="${PROJECT_BINARY_DIR}")
add_dependencies(shardgate-devstack shardgate-consul-dev)
if(TARGET shardgate-agent)
  add_dependencies(shardgate-devstack shardgate-agent)
endif()
set_target_properties(shardgate-devstack PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
