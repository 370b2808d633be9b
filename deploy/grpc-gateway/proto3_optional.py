"""A protoc plugin in front of another: runs the plugin named in its first argument on
the same CodeGeneratorRequest and answers its response with FEATURE_PROTO3_OPTIONAL set.
Debian's protoc-gen-grpc-gateway (v1.6) predates that flag, so protoc refuses it any file
with `optional` fields, although the code it writes handles them (they are pointer fields
in Go, which its query-parameter and body parsing allocate)."""
import subprocess
import sys

from google.protobuf.compiler import plugin_pb2


def main() -> int:
    request = sys.stdin.buffer.read()
    done = subprocess.run([sys.argv[1]], input=request, capture_output=True, check=False)
    sys.stderr.buffer.write(done.stderr)
    if done.returncode != 0:
        return done.returncode
    response = plugin_pb2.CodeGeneratorResponse.FromString(done.stdout)
    response.supported_features |= plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    sys.stdout.buffer.write(response.SerializeToString())
    return 0


if __name__ == "__main__":
    sys.exit(main())
