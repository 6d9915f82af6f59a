# liba0ipc.so.1: the client library for other programs, built from the same static libraries
# the CLI and the tests link (a0ipc_client, a0ipc_transport and what they stand on). The version script exports
# the functions of include/a0ipc/*.h and nothing else: the rpc layer, the generated code and
# the helpers inside stay private, so they can change without a new soname.
# The version script is made at build time from its template and the one list of the adapter's
# operations (include/a0ipc/transport_ops.h), by the C preprocessor: each a0ipc_<operation>
# wrapper is exported without being listed by hand. -undef: no "linux" or "unix" macros to
# rewrite symbol names.
set(A0IPC_EXPORT_MAP_IN ${PROJECT_SOURCE_DIR}/src/lib/liba0ipc.map.in)
set(A0IPC_EXPORT_MAP ${PROJECT_BINARY_DIR}/liba0ipc.map)
add_custom_command(OUTPUT ${A0IPC_EXPORT_MAP}
  COMMAND ${CMAKE_C_COMPILER} -E -P -undef -x c -I ${PROJECT_SOURCE_DIR}/include
          ${A0IPC_EXPORT_MAP_IN} -o ${A0IPC_EXPORT_MAP}
  DEPENDS ${A0IPC_EXPORT_MAP_IN} ${PROJECT_SOURCE_DIR}/include/a0ipc/transport_ops.h
  COMMENT "Generating liba0ipc.map from the list of transport operations"
  VERBATIM)
# The target is a0ipc_shared because "a0ipc" is the CLI; the file is liba0ipc.so and the
# exported target a0ipc::a0ipc.
# The map is a source so that it is made before the library is linked.
add_library(a0ipc_shared SHARED src/lib/version.c ${A0IPC_EXPORT_MAP})
# The whole client library and the interface's wrappers go in (nothing in a shared library's
# own code references them); the layers below only as far as the client needs them.
# (a0ipc_transport's objects as sources: CMake allows one library only one link feature, and
# a0ipc_client links it plainly.)
target_sources(a0ipc_shared PRIVATE $<TARGET_OBJECTS:a0ipc_transport>)
target_link_libraries(a0ipc_shared PRIVATE "$<LINK_LIBRARY:WHOLE_ARCHIVE,a0ipc_client>")
# Nothing in the client references the legacy adapter's constructor; make the linker take it
# (and what it needs) from a0ipc_legacy, which a0ipc_client brings in.
target_link_options(a0ipc_shared PRIVATE -Wl,--undefined=a0ipc_legacy_transport_new)
target_link_options(a0ipc_shared PRIVATE -Wl,--version-script=${A0IPC_EXPORT_MAP} -Wl,--no-undefined)
target_include_directories(a0ipc_shared PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
                                               $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
set_target_properties(a0ipc_shared PROPERTIES
  OUTPUT_NAME a0ipc
  VERSION ${PROJECT_VERSION}
  SOVERSION 1
  LINK_DEPENDS ${A0IPC_EXPORT_MAP}
  EXPORT_NAME a0ipc)
add_library(a0ipc::a0ipc ALIAS a0ipc_shared)
