#!/usr/bin/env bash
# The Go client's one generation command: protoc-gen-go and protoc-gen-go-grpc turn
# protos/ into Go packages inside a GOPATH under .build/go/gopath (GOPATH mode: Debian's
# golang-* packages under /usr/share/gocode supply gRPC and protobuf, nothing is fetched),
# next to a copy of the wrapper and the example. Then `clients/go/build.sh` builds the example.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
GOPATH_DIR=${GOPATH_DIR:-$ROOT/.build/go/gopath}
MODULE=github.com/llamastack/llama-stack-grpc/clients/go
DEST=$GOPATH_DIR/src/$MODULE
if [ ! -d "$ROOT/.build/proto-deps/google/api" ]; then
  echo "missing .build/proto-deps (google/api protos): run scripts/bootstrap first" >&2
  exit 1
fi
rm -rf "$DEST"
mkdir -p "$DEST"
cp -r "$ROOT/clients/go/llamastack" "$ROOT/clients/go/examples" "$DEST/"
cd "$ROOT/protos"
# shellcheck disable=SC2046
protoc -I . -I "$ROOT/.build/proto-deps" -I /usr/include \
  --go_out="$GOPATH_DIR/src" --go-grpc_out="$GOPATH_DIR/src" $(find llamastack -name '*.proto' | sort)
echo "generated into $DEST/gen"
