// A grpc-gateway (v1) reverse proxy generated from protos/: the proof that the contract's
// google.api.http annotations are what standard transcoders expect. It serves the
// datasets, datasetio and inspect routes by calling the gRPC server at -backend.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"log"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"github.com/llamastack/llama-stack-grpc/clients/go/gen/llamastack/datasetio/v1beta"
	"github.com/llamastack/llama-stack-grpc/clients/go/gen/llamastack/datasets/v1beta"
	"github.com/llamastack/llama-stack-grpc/clients/go/gen/llamastack/inspect/v1"
)

// writeError answers a failed call as {"code", "message"} with the status's HTTP
// equivalent. (grpc-gateway v1.6's own error body is a hand-made message that the
// APIv2-backed golang/protobuf 1.5 cannot marshal.)
func writeError(ctx context.Context, mux *runtime.ServeMux, marshaler runtime.Marshaler, w http.ResponseWriter,
	r *http.Request, err error) {
	st := status.Convert(err)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(runtime.HTTPStatusFromCode(st.Code()))
	_ = json.NewEncoder(w).Encode(map[string]interface{}{"code": int(st.Code()), "message": st.Message()})
}

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "address to serve HTTP on")
	backend := flag.String("backend", "127.0.0.1:50051", "the llama-stack-grpc gRPC address")
	flag.Parse()
	ctx := context.Background()
	runtime.HTTPError = writeError
	// Field names as in the contract (its json_name are the proto names); zero values omitted.
	mux := runtime.NewServeMux(runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.JSONPb{OrigName: true}))
	options := []grpc.DialOption{grpc.WithInsecure()}
	for _, register := range []func(context.Context, *runtime.ServeMux, string, []grpc.DialOption) error{
		datasetsv1beta.RegisterDatasetsServiceHandlerFromEndpoint,
		datasetiov1beta.RegisterDatasetIOServiceHandlerFromEndpoint,
		inspectv1.RegisterInspectServiceHandlerFromEndpoint,
	} {
		if err := register(ctx, mux, *backend, options); err != nil {
			log.Fatal(err)
		}
	}
	log.Printf("grpc-gateway proxy on %s -> %s", *listen, *backend)
	log.Fatal(http.ListenAndServe(*listen, mux))
}
