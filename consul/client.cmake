# The Consul HTTP client library (libcurl) and its unit tests.
add_library(shardgate_consul
  ${CMAKE_CURRENT_SOURCE_DIR}/client.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/client_agent.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/codec.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/codec_agent.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/config.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/curl_transport.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/http_errors.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/http_transport.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/types.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/url.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/watch.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/watch_policy.cc)
target_include_directories(shardgate_consul PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(shardgate_consul
  PUBLIC shardgate_common
  PRIVATE PkgConfig::CURL nlohmann_json::nlohmann_json)

shardgate_add_unit_tests(consul_unit_tests
  SOURCES
    ${CMAKE_CURRENT_SOURCE_DIR}/client_test.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/client_agent_test.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/codec_test.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/config_test.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/url_test.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/watch_test.cc
  LIBS shardgate_consul nlohmann_json::nlohmann_json)
