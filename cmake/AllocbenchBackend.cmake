# allocbench_add_backend(<name> PROVIDER <library prefix> [LIBRARIES <targets>...])
#
# Adds the worker executable allocbench-worker-<name>, built from the shared worker
# core, the worker's main (compiled per backend: it carries the backend's name) and
# src/backends/<name>.cpp (the backend's version probe). PROVIDER is the
# prefix of the shared object that must provide malloc in that worker: the worker
# refuses to run when the dynamic linker resolved malloc anywhere else.
function(allocbench_add_backend name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "PROVIDER" "LIBRARIES")
  set(target allocbench-worker-${name})
  add_executable(${target} ${PROJECT_SOURCE_DIR}/src/worker/worker_main.cpp ${PROJECT_SOURCE_DIR}/src/backends/${name}.cpp)
  target_link_libraries(${target} PRIVATE allocbench_worker_core)
  target_compile_definitions(${target} PRIVATE
    ALLOCBENCH_BACKEND_NAME="${name}" ALLOCBENCH_EXPECTED_PROVIDER="${arg_PROVIDER}")
  if(arg_LIBRARIES)
    # The toolchain links with --as-needed: an allocator library is dropped when no
    # symbol of it is referenced, and glibc would silently serve every malloc.
    target_link_libraries(${target} PRIVATE -Wl,--no-as-needed ${arg_LIBRARIES} -Wl,--as-needed)
  endif()
  set_property(GLOBAL APPEND PROPERTY ALLOCBENCH_BACKENDS ${name})
  set(ALLOCBENCH_WORKER_TARGETS ${ALLOCBENCH_WORKER_TARGETS} ${target} PARENT_SCOPE)
endfunction()
