# shardgate-consul-dev: the in-memory, single-node Consul-compatible development server.
add_subdirectory(${CMAKE_CURRENT_SOURCE_DIR}/dev ${CMAKE_CURRENT_BINARY_DIR}/dev)
