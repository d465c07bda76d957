# Harness pieces of the integration harness (process, ports, temp dirs, PostgreSQL, HAProxy, stack); dev/stack builds the program behind `make run` on it.
target_link_libraries(shardgate_harness PUBLIC shardgate_haproxy shardgate_consul shardgate_model
                      Threads::Threads)
target_compile_definitions(shardgate_harness PRIVATE
  SHARDGATE_DEFAULT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
