# `cpack` (run in the build directory) makes two Debian packages:
#   beamlink      the shared library and the `beamlink` tool; Depends
#                 computed by dpkg-shlibdeps (libc6, libssl3, zlib1g,
#                 libc-ares2, libstdc++6, libgcc-s1), and a shlibs file.
#   beamlink-dev  headers, static library, CMake package, beamlink.pc;
#                 Depends stated: the exact beamlink, and the -dev packages
#                 the headers (asio) and the static library (zlib,
#                 OpenSSL, c-ares) need.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME beamlink)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Erlang distribution for C++ services")
set(CPACK_PACKAGE_CONTACT "beamlink maintainers <beamlink@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libs)

set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
  "beamlink library and command-line tool\n A C++ process that is a full Erlang distribution node.")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME beamlink)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_GENERATE_SHLIBS ON)

set(CPACK_COMPONENT_DEV_DESCRIPTION
  "beamlink development files\n Headers, static library, CMake package and pkg-config file.")
set(CPACK_COMPONENT_DEV_DEPENDS runtime)  # beamlink-dev Depends: beamlink (= version)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
set(CPACK_DEBIAN_DEV_PACKAGE_NAME beamlink-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "libasio-dev, libssl-dev, zlib1g-dev, libc-ares-dev")

include(CPack)
