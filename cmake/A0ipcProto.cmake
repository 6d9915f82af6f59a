# Code generation from proto/: protoc-c messages, protoc-gen-a0ipc service bindings, the
# descriptor set embedded for reflection, and the Python stubs. Everything lands in the build
# tree; nothing generated is committed.

find_program(PROTOC protoc REQUIRED)
find_program(PROTOC_C protoc-c REQUIRED)
find_program(PROTOC_GEN_C protoc-gen-c REQUIRED)
find_program(GRPC_PYTHON_PLUGIN grpc_python_plugin REQUIRED)

set(A0IPC_PROTO_DIR ${PROJECT_SOURCE_DIR}/proto)
set(A0IPC_GEN_DIR ${PROJECT_BINARY_DIR}/gen)
set(A0IPC_PY_GEN_DIR ${PROJECT_BINARY_DIR}/python)
set(A0IPC_PY_PREFIX a0ipc/_gen)
file(MAKE_DIRECTORY ${A0IPC_GEN_DIR} ${A0IPC_PY_GEN_DIR})

# The plugin reads protoc's CodeGeneratorRequest with protobuf-c code generated from the system's
# descriptor.proto and plugin.proto (Debian's libprotobuf-dev and libprotoc-dev).
find_path(GOOGLE_PROTO_INCLUDE google/protobuf/compiler/plugin.proto
          PATHS /usr/include /usr/local/include REQUIRED)
set(TOOLS_GEN_DIR ${PROJECT_BINARY_DIR}/gen-tools)
file(MAKE_DIRECTORY ${TOOLS_GEN_DIR})
set(TOOLS_GEN_SRC
    ${TOOLS_GEN_DIR}/google/protobuf/descriptor.pb-c.c
    ${TOOLS_GEN_DIR}/google/protobuf/compiler/plugin.pb-c.c)
add_custom_command(
  OUTPUT ${TOOLS_GEN_SRC}
         ${TOOLS_GEN_DIR}/google/protobuf/descriptor.pb-c.h
         ${TOOLS_GEN_DIR}/google/protobuf/compiler/plugin.pb-c.h
  COMMAND ${PROTOC_C} -I${GOOGLE_PROTO_INCLUDE} --c_out=${TOOLS_GEN_DIR}
          google/protobuf/descriptor.proto google/protobuf/compiler/plugin.proto
  COMMENT "protoc-c: descriptor.proto and plugin.proto"
  VERBATIM)
add_library(a0ipc_descriptor_pb STATIC ${TOOLS_GEN_DIR}/google/protobuf/descriptor.pb-c.c)
target_include_directories(a0ipc_descriptor_pb PUBLIC ${TOOLS_GEN_DIR})
target_link_libraries(a0ipc_descriptor_pb PUBLIC PkgConfig::PROTOBUFC)
set_target_properties(a0ipc_descriptor_pb PROPERTIES POSITION_INDEPENDENT_CODE ON)
# protoc-c's output is not ours to keep warning-free.
target_compile_options(a0ipc_descriptor_pb PRIVATE -w)

add_executable(protoc-gen-a0ipc tools/protoc-gen-a0ipc/main.c
               ${TOOLS_GEN_DIR}/google/protobuf/compiler/plugin.pb-c.c)
target_link_libraries(protoc-gen-a0ipc PRIVATE a0ipc_descriptor_pb)

# The project's protos, found at configure time (re-run cmake after adding one).
file(GLOB_RECURSE A0IPC_PROTOS RELATIVE ${A0IPC_PROTO_DIR} CONFIGURE_DEPENDS
     ${A0IPC_PROTO_DIR}/*.proto)
list(SORT A0IPC_PROTOS)
set(A0IPC_GEN_SRC)
set(A0IPC_GEN_HDR)
set(A0IPC_PROTO_ABS)
# Python: the stubs are modules of the subpackage a0ipc._gen (build/python/a0ipc/_gen/...), never
# top-level packages: protoc sees the protos through the virtual proto path a0ipc/_gen, so the
# modules it writes import each other as a0ipc._gen.* with no rewriting. The standard grpc.*
# protos go one level further down, under a0ipc_std, because a package named "grpc" would read
# like grpcio's. The proto packages, and so the wire names, stay a0.runtime.v1, grpc.health.v1.
# python/a0ipc/_gen/__init__.py points the package at the directory (docs/architecture.md).
set(A0IPC_PY_GEN)
set(A0IPC_PY_OWN_PROTOS)
set(A0IPC_PY_STD_PROTOS)
foreach(p ${A0IPC_PROTOS})
  string(REGEX REPLACE "\\.proto$" "" base ${p})
  list(APPEND A0IPC_PROTO_ABS ${A0IPC_PROTO_DIR}/${p})
  list(APPEND A0IPC_GEN_SRC ${A0IPC_GEN_DIR}/${base}.pb-c.c)
  list(APPEND A0IPC_GEN_HDR ${A0IPC_GEN_DIR}/${base}.pb-c.h)
  file(STRINGS ${A0IPC_PROTO_DIR}/${p} has_service REGEX "^service ")
  if(p MATCHES "^grpc/")
    set(pybase ${A0IPC_PY_GEN_DIR}/${A0IPC_PY_PREFIX}/a0ipc_std/${base})
    list(APPEND A0IPC_PY_STD_PROTOS ${A0IPC_PY_PREFIX}/a0ipc_std/${p})
  else()
    set(pybase ${A0IPC_PY_GEN_DIR}/${A0IPC_PY_PREFIX}/${base})
    list(APPEND A0IPC_PY_OWN_PROTOS ${A0IPC_PY_PREFIX}/${p})
  endif()
  if(has_service)
    list(APPEND A0IPC_GEN_SRC ${A0IPC_GEN_DIR}/${base}.a0ipc.c)
    list(APPEND A0IPC_GEN_HDR ${A0IPC_GEN_DIR}/${base}.a0ipc.h)
    list(APPEND A0IPC_PY_GEN ${pybase}_pb2_grpc.py)
  endif()
  list(APPEND A0IPC_PY_GEN ${pybase}_pb2.py)
endforeach()

set(A0IPC_DESCRIPTOR_SET ${A0IPC_GEN_DIR}/a0ipc_descriptor_set.pb)

# C code (protobuf-c messages + a0ipc bindings) for PROTOS (paths relative to ROOT) into OUT_DIR.
# Optionally DESCRIPTOR_SET: also write the set with imports and source info.
function(a0ipc_generate_c)
  cmake_parse_arguments(G "" "ROOT;OUT_DIR;DESCRIPTOR_SET" "PROTOS;OUTPUTS" ${ARGN})
  set(abs)
  foreach(p ${G_PROTOS})
    list(APPEND abs ${G_ROOT}/${p})
  endforeach()
  set(extra)
  if(G_DESCRIPTOR_SET)
    set(extra --include_imports --include_source_info --descriptor_set_out=${G_DESCRIPTOR_SET})
  endif()
  add_custom_command(
    OUTPUT ${G_OUTPUTS} ${G_DESCRIPTOR_SET}
    COMMAND ${PROTOC} -I${G_ROOT}
            --plugin=protoc-gen-c=${PROTOC_GEN_C}
            --plugin=protoc-gen-a0ipc=$<TARGET_FILE:protoc-gen-a0ipc>
            --c_out=${G_OUT_DIR} --a0ipc_out=${G_OUT_DIR} ${extra}
            ${G_PROTOS}
    DEPENDS ${abs} protoc-gen-a0ipc
    WORKING_DIRECTORY ${G_ROOT}
    COMMENT "protoc: C messages and a0ipc bindings for ${G_PROTOS}"
    VERBATIM)
endfunction()

a0ipc_generate_c(ROOT ${A0IPC_PROTO_DIR} OUT_DIR ${A0IPC_GEN_DIR}
                 DESCRIPTOR_SET ${A0IPC_DESCRIPTOR_SET}
                 PROTOS ${A0IPC_PROTOS} OUTPUTS ${A0IPC_GEN_SRC} ${A0IPC_GEN_HDR})

add_custom_command(
  OUTPUT ${A0IPC_GEN_DIR}/a0ipc_descriptor_set.c
  COMMAND ${CMAKE_COMMAND} -DINPUT=${A0IPC_DESCRIPTOR_SET}
          -DOUTPUT=${A0IPC_GEN_DIR}/a0ipc_descriptor_set.c -DNAME=a0ipc_descriptor_set
          -P ${PROJECT_SOURCE_DIR}/cmake/embed.cmake
  DEPENDS ${A0IPC_DESCRIPTOR_SET} ${PROJECT_SOURCE_DIR}/cmake/embed.cmake
  COMMENT "Embedding the descriptor set for reflection"
  VERBATIM)

add_custom_command(
  OUTPUT ${A0IPC_PY_GEN}
  COMMAND ${PROTOC} --proto_path=${A0IPC_PY_PREFIX}=${A0IPC_PROTO_DIR}
          --plugin=protoc-gen-grpc_python=${GRPC_PYTHON_PLUGIN}
          --python_out=${A0IPC_PY_GEN_DIR} --grpc_python_out=${A0IPC_PY_GEN_DIR}
          ${A0IPC_PY_OWN_PROTOS}
  COMMAND ${PROTOC} --proto_path=${A0IPC_PY_PREFIX}/a0ipc_std=${A0IPC_PROTO_DIR}
          --plugin=protoc-gen-grpc_python=${GRPC_PYTHON_PLUGIN}
          --python_out=${A0IPC_PY_GEN_DIR} --grpc_python_out=${A0IPC_PY_GEN_DIR}
          ${A0IPC_PY_STD_PROTOS}
  DEPENDS ${A0IPC_PROTO_ABS}
  WORKING_DIRECTORY ${A0IPC_PROTO_DIR}
  COMMENT "protoc: Python stubs"
  VERBATIM)
add_custom_target(a0ipc_python_stubs ALL DEPENDS ${A0IPC_PY_GEN})

# The generated code's own library: the bindings call the rpc layer (CMakeLists.txt links
# a0ipc_gen to a0ipc_rpc); services, the transport and the programs call the bindings.
add_library(a0ipc_gen STATIC ${A0IPC_GEN_SRC} ${A0IPC_GEN_DIR}/a0ipc_descriptor_set.c)
target_include_directories(a0ipc_gen PUBLIC ${A0IPC_GEN_DIR} ${PROJECT_SOURCE_DIR}/src
                           ${PROJECT_SOURCE_DIR}/include)
target_link_libraries(a0ipc_gen PUBLIC PkgConfig::PROTOBUFC)
set_target_properties(a0ipc_gen PROPERTIES POSITION_INDEPENDENT_CODE ON)
