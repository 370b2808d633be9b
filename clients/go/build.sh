#!/usr/bin/env bash
# Builds the Go example (after generate.sh) in GOPATH mode, offline, to .build/go/bin/quickstart.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
GOPATH_DIR=${GOPATH_DIR:-$ROOT/.build/go/gopath}
export GOPATH="$GOPATH_DIR:/usr/share/gocode" GO111MODULE=off GOFLAGS= GOCACHE="$ROOT/.build/go/cache"
go build -o "$ROOT/.build/go/bin/quickstart" github.com/llamastack/llama-stack-grpc/clients/go/examples/quickstart
echo "built $ROOT/.build/go/bin/quickstart"
