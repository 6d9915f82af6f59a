# `cmake --install`: where everything goes, as Debian expects it. Paths come from GNUInstallDirs
# (debhelper passes the multiarch libdir, /etc and /var); systemd's directories from its
# pkg-config file when installing into /usr, else under the prefix (systemd also reads
# /usr/local/lib/systemd/system and /usr/local/lib/sysusers.d).
include(CMakePackageConfigHelpers)

if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  pkg_get_variable(_a0ipc_unitdir systemd systemdsystemunitdir)
  pkg_get_variable(_a0ipc_sysusersdir systemd sysusersdir)
  if(NOT _a0ipc_unitdir)
    set(_a0ipc_unitdir /lib/systemd/system)
  endif()
  if(NOT _a0ipc_sysusersdir)
    set(_a0ipc_sysusersdir /usr/lib/sysusers.d)
  endif()
else()
  set(_a0ipc_unitdir ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
  set(_a0ipc_sysusersdir ${CMAKE_INSTALL_PREFIX}/lib/sysusers.d)
endif()
set(A0IPC_SYSTEMD_UNIT_DIR ${_a0ipc_unitdir} CACHE PATH "Where a0ipcd.service is installed")
set(A0IPC_SYSUSERS_DIR ${_a0ipc_sysusersdir} CACHE PATH "Where the sysusers.d file is installed")
set(A0IPC_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/a0ipc)

# The paths the installed files name (the unit's ExecStart, the man pages).
set(A0IPCD_PATH ${CMAKE_INSTALL_FULL_SBINDIR}/a0ipcd)
set(A0IPC_CONFIG_PATH ${CMAKE_INSTALL_FULL_SYSCONFDIR}/a0ipc/a0ipcd.conf)
set(A0IPC_PKG_DIR ${PROJECT_BINARY_DIR}/packaging)
configure_file(packaging/systemd/a0ipcd.service.in ${A0IPC_PKG_DIR}/a0ipcd.service @ONLY)
set(VERSION ${PROJECT_VERSION})
configure_file(docs/man/a0ipcd.8 ${A0IPC_PKG_DIR}/man/a0ipcd.8 @ONLY)
configure_file(docs/man/a0ipc.1 ${A0IPC_PKG_DIR}/man/a0ipc.1 @ONLY)
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(A0IPC_PC_LIBDIR ${CMAKE_INSTALL_LIBDIR})
else()
  set(A0IPC_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(A0IPC_PC_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR})
else()
  set(A0IPC_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(packaging/a0ipc.pc.in ${A0IPC_PKG_DIR}/a0ipc.pc @ONLY)

# Programs and the library.
install(TARGETS a0ipcd RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(TARGETS a0ipc RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS a0ipc_shared EXPORT a0ipcTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/a0ipc DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")

# For programs that build on the library: pkg-config and a CMake package (a0ipc::a0ipc).
install(FILES ${A0IPC_PKG_DIR}/a0ipc.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(EXPORT a0ipcTargets NAMESPACE a0ipc:: DESTINATION ${A0IPC_CMAKE_DIR})
configure_package_config_file(packaging/a0ipcConfig.cmake.in
                              ${A0IPC_PKG_DIR}/a0ipcConfig.cmake
                              INSTALL_DESTINATION ${A0IPC_CMAKE_DIR})
# Same major, compatible in source for programs that call the library's functions. The soname
# counts ABI breaks instead (liba0ipc.so.1 since 0.2, docs/operations.md, What gets installed).
write_basic_package_version_file(${A0IPC_PKG_DIR}/a0ipcConfigVersion.cmake
                                 COMPATIBILITY SameMajorVersion)
install(FILES ${A0IPC_PKG_DIR}/a0ipcConfig.cmake ${A0IPC_PKG_DIR}/a0ipcConfigVersion.cmake
        DESTINATION ${A0IPC_CMAKE_DIR})

# The Python package's source and the contract, for `a0ipc agent-zero install` (it pip-installs
# the package, with stubs generated from proto/, into Agent Zero's own interpreter).
install(DIRECTORY python/ DESTINATION ${CMAKE_INSTALL_DATADIR}/a0ipc/python
        PATTERN "__pycache__" EXCLUDE PATTERN "build" EXCLUDE PATTERN "*.egg-info" EXCLUDE
        REGEX "/a0ipc/_gen/[^/]+/" EXCLUDE REGEX "/a0ipc/_gen/(a0|a0ipc_std)$" EXCLUDE)
install(DIRECTORY proto/ DESTINATION ${CMAKE_INSTALL_DATADIR}/a0ipc/proto)
# ... with this build's stubs, so that pip needs no protobuf compiler there (python/setup.py).
install(DIRECTORY ${PROJECT_BINARY_DIR}/python/a0ipc/_gen/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/a0ipc/python/a0ipc/_gen PATTERN "__pycache__" EXCLUDE)

# The package itself, importable by the system's python3 (the Debian package python3-a0ipc:
# lib/python3/dist-packages), with this build's stubs and the metadata pip and
# importlib.metadata read. Off (empty) by default: a system Python's directory is the
# distribution's to fill.
set(A0IPC_PYTHON_SITEDIR "" CACHE STRING
    "Also install the Python package into this directory below the prefix (e.g. lib/python3/dist-packages)")
if(A0IPC_PYTHON_SITEDIR)
  install(DIRECTORY python/a0ipc DESTINATION ${A0IPC_PYTHON_SITEDIR}
          PATTERN "__pycache__" EXCLUDE
          REGEX "/a0ipc/_gen/[^/]+/" EXCLUDE REGEX "/a0ipc/_gen/(a0|a0ipc_std)$" EXCLUDE)
  install(DIRECTORY ${PROJECT_BINARY_DIR}/python/a0ipc/_gen/
          DESTINATION ${A0IPC_PYTHON_SITEDIR}/a0ipc/_gen PATTERN "__pycache__" EXCLUDE)
  set(A0IPC_PY_DIST_INFO ${PROJECT_BINARY_DIR}/python-dist-info/a0ipc-${PROJECT_VERSION}.dist-info)
  file(WRITE ${A0IPC_PY_DIST_INFO}/METADATA
       "Metadata-Version: 2.1\nName: a0ipc\nVersion: ${PROJECT_VERSION}\n"
       "Summary: Agent Zero's side of a0ipcd\nRequires-Python: >=3.10\n"
       "Requires-Dist: grpcio>=1.51\nRequires-Dist: protobuf>=4.21\n")
  # No RECORD: pip leaves a package the system's package manager installed alone.
  file(WRITE ${A0IPC_PY_DIST_INFO}/INSTALLER "cmake\n")
  install(DIRECTORY ${A0IPC_PY_DIST_INFO} DESTINATION ${A0IPC_PYTHON_SITEDIR})
endif()

# Manual pages.
install(FILES ${A0IPC_PKG_DIR}/man/a0ipcd.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES ${A0IPC_PKG_DIR}/man/a0ipc.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# Shell completion, written by the built a0ipc from its command table (a0ipc completion SHELL).
set(A0IPC_COMPLETION_DIR ${PROJECT_BINARY_DIR}/completion)
add_custom_command(
  OUTPUT ${A0IPC_COMPLETION_DIR}/a0ipc ${A0IPC_COMPLETION_DIR}/_a0ipc
         ${A0IPC_COMPLETION_DIR}/a0ipc.fish
  COMMAND ${CMAKE_COMMAND} -E make_directory ${A0IPC_COMPLETION_DIR}
  COMMAND $<TARGET_FILE:a0ipc> completion bash > ${A0IPC_COMPLETION_DIR}/a0ipc
  COMMAND $<TARGET_FILE:a0ipc> completion zsh > ${A0IPC_COMPLETION_DIR}/_a0ipc
  COMMAND $<TARGET_FILE:a0ipc> completion fish > ${A0IPC_COMPLETION_DIR}/a0ipc.fish
  DEPENDS a0ipc VERBATIM)
add_custom_target(a0ipc_completion ALL DEPENDS ${A0IPC_COMPLETION_DIR}/a0ipc)
install(FILES ${A0IPC_COMPLETION_DIR}/a0ipc
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/bash-completion/completions)
install(FILES ${A0IPC_COMPLETION_DIR}/_a0ipc
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/zsh/vendor-completions)
install(FILES ${A0IPC_COMPLETION_DIR}/a0ipc.fish
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/fish/vendor_completions.d)

# systemd: the service, its optional socket, and the user it runs as.
install(FILES ${A0IPC_PKG_DIR}/a0ipcd.service packaging/systemd/a0ipcd.socket
        DESTINATION ${A0IPC_SYSTEMD_UNIT_DIR})
install(FILES packaging/systemd/a0ipcd.sysusers DESTINATION ${A0IPC_SYSUSERS_DIR}
        RENAME a0ipcd.conf)

# The default configuration. An existing one is the administrator's: reinstalling from source
# keeps it (a package manager handles it as a conffile instead).
set(_a0ipc_conf ${CMAKE_INSTALL_FULL_SYSCONFDIR}/a0ipc/a0ipcd.conf)
install(CODE "
  if(EXISTS \"\$ENV{DESTDIR}${_a0ipc_conf}\")
    message(STATUS \"Keeping: \$ENV{DESTDIR}${_a0ipc_conf}\")
  else()
    # file(INSTALL) adds DESTDIR itself.
    file(INSTALL \"${PROJECT_SOURCE_DIR}/packaging/a0ipcd.conf\"
         DESTINATION \"${CMAKE_INSTALL_FULL_SYSCONFDIR}/a0ipc\"
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  endif()")

# The operator's guide and the pages it links to, next to the daemon (the a0ipcd package's doc
# directory, where a0ipcd(8) points).
set(_a0ipc_docdir ${CMAKE_INSTALL_DATAROOTDIR}/doc/a0ipcd)
install(FILES docs/operations.md docs/configuration.md docs/errors.md DESTINATION ${_a0ipc_docdir})
if(EXISTS ${PROJECT_SOURCE_DIR}/docs/security.md)
  install(FILES docs/security.md DESTINATION ${_a0ipc_docdir})
endif()
