# What `cmake --install` puts under the prefix, and the .deb CPack makes of it.
#
#   include/beamlink/*.h                       the public API (and only it)
#   lib/libbeamlink.so.X.Y.Z, .so.X.Y, .so     shared library (SONAME libbeamlink.so.SOVERSION)
#   lib/libbeamlink.a                          static library
#   lib/cmake/beamlink/                        find_package(beamlink CONFIG) -> beamlink::beamlink
#   lib/pkgconfig/beamlink.pc                  pkg-config --cflags --libs [--static] beamlink
#   bin/beamlink                               the command-line tool
#
# Both libraries are made of the module libraries' objects (compiled once,
# position-independent), so installing costs two link steps, no compiles.
#
# Versioning: project(VERSION) is the package's semantic version. The ABI
# changes with the major version, and, while it is 0, with the minor one
# (semver: 0.y.z may change anything), so the SONAME carries MAJOR.MINOR
# below 1.0 and MAJOR from 1.0 on.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(BEAMLINK_SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
  set(BEAMLINK_COMPATIBILITY SameMinorVersion)
else()
  set(BEAMLINK_SOVERSION ${PROJECT_VERSION_MAJOR})
  set(BEAMLINK_COMPATIBILITY SameMajorVersion)
endif()

set(beamlink_objects)
foreach(module IN LISTS BEAMLINK_MODULES)
  list(APPEND beamlink_objects $<TARGET_OBJECTS:beamlink_${module}>)
endforeach()
add_library(beamlink_shared SHARED ${beamlink_objects})
add_library(beamlink_static STATIC ${beamlink_objects})
# Every symbol the shared library uses must come from a library it names.
target_link_options(beamlink_shared PRIVATE LINKER:--no-undefined)

foreach(kind shared static)
  set_target_properties(beamlink_${kind} PROPERTIES OUTPUT_NAME beamlink EXPORT_NAME ${kind})
  # What a consumer needs: the public headers and C++23 (<expected>,
  # std::move_only_function). beamlink/process_async.h includes standalone
  # asio (header-only, Debian's libasio-dev), so asio's configuration is
  # public: every file of a program must make asio's choices alike.
  target_include_directories(beamlink_${kind} INTERFACE
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_compile_features(beamlink_${kind} INTERFACE cxx_std_23)
  target_compile_definitions(beamlink_${kind} INTERFACE ASIO_STANDALONE ASIO_NO_DEPRECATED
                                                        ASIO_DISABLE_STD_ALIGNED_ALLOC)
  # zlib, OpenSSL and c-ares appear in no public header: private. CMake
  # exports them as $<LINK_ONLY:...> for the static library, whose users
  # must link them; beamlinkConfig.cmake finds them. (toml++ and
  # nlohmann_json are used header-only.)
  target_link_libraries(beamlink_${kind} PUBLIC Threads::Threads
    PRIVATE ZLIB::ZLIB OpenSSL::SSL OpenSSL::Crypto PkgConfig::BEAMLINK_CARES)
endforeach()
set_target_properties(beamlink_shared PROPERTIES VERSION ${PROJECT_VERSION}
                                                 SOVERSION ${BEAMLINK_SOVERSION})

set(BEAMLINK_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/beamlink)
install(TARGETS beamlink_shared EXPORT beamlinkTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev)
install(TARGETS beamlink_static EXPORT beamlinkTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
# `cmake --install --strip` and CPack strip executables and shared
# libraries only; the static library's debug sections are most of its size.
install(CODE "if(CMAKE_INSTALL_DO_STRIP)
  execute_process(COMMAND \"${CMAKE_STRIP}\" --strip-debug
    \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/$<TARGET_FILE_NAME:beamlink_static>\")
endif()" COMPONENT dev)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/beamlink
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev FILES_MATCHING PATTERN "*.h")
install(EXPORT beamlinkTargets NAMESPACE beamlink:: DESTINATION ${BEAMLINK_CMAKE_DIR}
  COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/beamlinkConfig.cmake.in
  ${PROJECT_BINARY_DIR}/beamlinkConfig.cmake INSTALL_DESTINATION ${BEAMLINK_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/beamlinkConfigVersion.cmake
  COMPATIBILITY ${BEAMLINK_COMPATIBILITY})
install(FILES ${PROJECT_BINARY_DIR}/beamlinkConfig.cmake
              ${PROJECT_BINARY_DIR}/beamlinkConfigVersion.cmake
  DESTINATION ${BEAMLINK_CMAKE_DIR} COMPONENT dev)

# beamlink.pc names its prefix relative to where it lies (${pcfiledir}), so
# an installed tree or an unpacked .deb can be moved.
file(RELATIVE_PATH BEAMLINK_PC_TO_PREFIX
  ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" BEAMLINK_PC_TO_PREFIX "${BEAMLINK_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/beamlink.pc.in ${PROJECT_BINARY_DIR}/beamlink.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/beamlink.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  COMPONENT dev)

if(TARGET beamlink_cli)
  install(TARGETS beamlink_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
endif()

include(${PROJECT_SOURCE_DIR}/cmake/package.cmake)
