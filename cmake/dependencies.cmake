# Compiler warnings and the libraries src/ links, shared by the main build and the Python
# package's own build (python/CMakeLists.txt).
# -Wrestrict: GCC 12 reports false positives on std::string concatenation at -O3 (GCC bug 105329).
add_compile_options(-Wall -Wextra -Werror)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  add_compile_options(-Wno-restrict)
endif()

find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(CURL REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(PostgreSQL REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(CLI11 REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
pkg_check_modules(LIBGIT2 REQUIRED IMPORTED_TARGET libgit2)
# Every dependency is found here, where every directory sees it: tests/fuzz links sanitized
# copies of the libraries to the same imported targets.
pkg_check_modules(LZ4 REQUIRED IMPORTED_TARGET liblz4)
# Team servers: Argon2id password hashes, SHA-256 token hashes, constant-time compares.
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(BROTLI REQUIRED IMPORTED_TARGET libbrotlidec libbrotlienc)
find_package(zstd REQUIRED)
find_package(Snappy REQUIRED)
find_package(ZLIB REQUIRED)
# The Redis online store (hiredis 0.14's CMake config sets variables only, TOOLCHAIN.md).
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
# XGBoost's CMake config wants /usr/bin/xgboost, which Debian does not ship (TOOLCHAIN.md).
pkg_check_modules(XGB REQUIRED IMPORTED_TARGET xgboost)
# ONNX models: Debian's libonnx (protobuf classes and the checker, TOOLCHAIN.md) on protobuf.
find_package(Protobuf REQUIRED)
find_package(ONNX REQUIRED)

# The libraries the Python module (python/) links, compiled position-independent since a module
# is a shared library (-fno-semantic-interposition keeps the inlining a non-PIC build gets).
# The main build and pip's build of python/ both call this, so their command lines match and
# ccache shares the objects.
function(plinth_python_libraries_position_independent)
  foreach(lib plinth_core plinth_http plinth_storage plinth_remote plinth_table plinth_monitor plinth_model
              plinth_tracking plinth_auth plinth_registry)
    set_target_properties(${lib} PROPERTIES POSITION_INDEPENDENT_CODE ON)
    target_compile_options(${lib} PRIVATE -fno-semantic-interposition)
  endforeach()
endfunction()
