# The layer check: every layer library is linked on its own into a throwaway shared object,
# with the whole archive and only what the library itself links, and --no-undefined. A call
# into a layer the library does not link (the Files core calling gRPC, a service calling the
# security layer, the rpc layer calling a binding) is then an undefined symbol and fails the
# build, instead of being hidden by a program that links everything. (The static libraries
# themselves never fail to build on a missing symbol.) Not under the fuzzers: clang's sanitizer
# runtime is not linked into shared objects.
if(A0IPC_FUZZ)
  return()
endif()
set(_a0ipc_layers a0ipc_common a0ipc_rpc a0ipc_gen a0ipc_files_core a0ipc_security a0ipc_transport
                  a0ipc_client
                  a0ipc_services a0ipc_daemon)
if(A0IPC_LEGACY)
  list(APPEND _a0ipc_layers a0ipc_legacy)
endif()
add_custom_target(a0ipc_layer_checks ALL)
foreach(layer ${_a0ipc_layers})
  add_library(${layer}_layer_check SHARED ${PROJECT_SOURCE_DIR}/cmake/layer_check.c)
  target_link_libraries(${layer}_layer_check PRIVATE "$<LINK_LIBRARY:WHOLE_ARCHIVE,${layer}>")
  target_link_options(${layer}_layer_check PRIVATE -Wl,--no-undefined)
  set_target_properties(${layer}_layer_check PROPERTIES LIBRARY_OUTPUT_DIRECTORY
                                                        ${PROJECT_BINARY_DIR}/layer-check)
  add_dependencies(a0ipc_layer_checks ${layer}_layer_check)
endforeach()
