# Router benches: the router's own cost against a minimal responder (router_bench), pgbench
# through the router vs plain TCP vs direct (router_pgbench), and a bounded fuzz run
# (router_fuzz). bench/run.sh runs them; they print figures and never fail on timing.
add_library(shardgate_router_bench_support STATIC router_load.cc router_setup.cc)
target_include_directories(shardgate_router_bench_support PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(shardgate_router_bench_support PUBLIC shardgate_harness shardgate_haproxy)

foreach(bench router_bench router_pgbench router_fuzz)
  add_executable(${bench} ${bench}.cc)
  target_link_libraries(${bench} PRIVATE shardgate_router_bench_support)
endforeach()
