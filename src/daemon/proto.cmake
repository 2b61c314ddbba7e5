# krata_proto: C++ (messages and gRPC stubs) generated from proto/krata/v1/*.proto.
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_program(KRATA_GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)

set(krata_proto_root ${PROJECT_SOURCE_DIR}/proto)
set(krata_proto_out ${CMAKE_CURRENT_BINARY_DIR}/proto)
set(krata_proto_srcs)
foreach(name common control)
  set(src ${krata_proto_root}/krata/v1/${name}.proto)
  set(gen ${krata_proto_out}/krata/v1/${name}.pb.cc ${krata_proto_out}/krata/v1/${name}.pb.h
          ${krata_proto_out}/krata/v1/${name}.grpc.pb.cc
          ${krata_proto_out}/krata/v1/${name}.grpc.pb.h)
  add_custom_command(
    OUTPUT ${gen}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${krata_proto_out}
    COMMAND protobuf::protoc --proto_path=${krata_proto_root} --cpp_out=${krata_proto_out}
            --grpc_out=${krata_proto_out} --plugin=protoc-gen-grpc=${KRATA_GRPC_CPP_PLUGIN}
            ${src}
    DEPENDS ${src} protobuf::protoc
    COMMENT "protoc krata/v1/${name}.proto"
    VERBATIM)
  list(APPEND krata_proto_srcs ${krata_proto_out}/krata/v1/${name}.pb.cc
       ${krata_proto_out}/krata/v1/${name}.grpc.pb.cc)
endforeach()

# Generated code: not held to the project's warnings.
add_library(krata_proto STATIC ${krata_proto_srcs})
target_include_directories(krata_proto SYSTEM PUBLIC ${krata_proto_out})
target_link_libraries(krata_proto PUBLIC protobuf::libprotobuf gRPC::grpc++)
