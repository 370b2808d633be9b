#!/usr/bin/env bash
# Generates the grpc-gateway (v1, Debian's protoc-gen-grpc-gateway) handlers for every
# proto of the contract beside the Go client's packages (clients/go/generate.sh first),
# and builds the proxy in main.go to .build/go/bin/grpc-gateway-proxy. GOPATH mode, offline;
# the grpc-gateway runtime comes from .build/go/debs (scripts/install-client-toolchains).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
GOPATH_DIR=${GOPATH_DIR:-$ROOT/.build/go/gopath}
MODULE=github.com/llamastack/llama-stack-grpc
"$ROOT/clients/go/generate.sh" >/dev/null
cd "$ROOT/protos"
# grpc-gateway v1 generates one Go package per run.
for dir in $(find llamastack -name '*.proto' -exec dirname {} \; | sort -u); do
  protoc -I . -I "$ROOT/.build/proto-deps" -I /usr/include \
    --plugin=protoc-gen-grpc-gateway="$ROOT/deploy/grpc-gateway/protoc-gen-grpc-gateway-optional" \
    --grpc-gateway_out=logtostderr=true:"$GOPATH_DIR/src" "$dir"/*.proto
done
mkdir -p "$GOPATH_DIR/src/$MODULE/deploy/grpc-gateway"
cp "$ROOT/deploy/grpc-gateway/main.go" "$GOPATH_DIR/src/$MODULE/deploy/grpc-gateway/"
export GOPATH="$GOPATH_DIR:$ROOT/.build/go/debs/usr/share/gocode:/usr/share/gocode" GO111MODULE=off GOFLAGS=
export GOCACHE="$ROOT/.build/go/cache"
go build -o "$ROOT/.build/go/bin/grpc-gateway-proxy" "$MODULE/deploy/grpc-gateway"
echo "built $ROOT/.build/go/bin/grpc-gateway-proxy"
