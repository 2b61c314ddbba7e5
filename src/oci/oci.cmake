# krata_oci: image references, digests, manifests/indexes/configs, credentials and the
# registry v2 client. Included from src/oci/CMakeLists.txt.
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED)
# The fuzzers in fuzz/ link krata_oci, whose link interface names these imported targets.
foreach(t CURL::libcurl OpenSSL::Crypto)
  get_target_property(krata_oci_imported_global ${t} IMPORTED_GLOBAL)
  if(NOT krata_oci_imported_global)
    set_target_properties(${t} PROPERTIES IMPORTED_GLOBAL TRUE)
  endif()
endforeach()

krata_library(krata_oci
  SOURCES digest.cc reference.cc media_types.cc platform.cc manifest.cc
          image_config.cc credentials.cc auth_challenge.cc http.cc registry.cc resolve.cc
  DEPS krata_base nlohmann_json::nlohmann_json
  PRIVATE_DEPS OpenSSL::Crypto CURL::libcurl)

krata_test(oci_test
  SOURCES digest_test.cc reference_test.cc manifest_test.cc image_config_test.cc
          credentials_test.cc auth_challenge_test.cc registry_fake_test.cc fake_http_server.cc
  DEPS krata_oci)

# Against a real registry (tests/registry/*.sh: docker-registry, umoci, skopeo). One ctest
# entry for the whole binary so the registries start once per run, not once per test.
krata_library(krata_ocitestregistry SOURCES test_registry.cc DEPS krata_oci GTest::gtest)
target_compile_definitions(krata_ocitestregistry PRIVATE KRATA_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
add_executable(oci_registry_test registry_test.cc)
krata_target_defaults(oci_registry_test)
target_link_libraries(oci_registry_test PRIVATE krata_ocitestregistry GTest::gtest_main)
set_target_properties(oci_registry_test PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
add_test(NAME oci_registry_test COMMAND oci_registry_test)
set_tests_properties(oci_registry_test PROPERTIES LABELS unit TIMEOUT 120)
