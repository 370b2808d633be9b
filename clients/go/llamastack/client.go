// Package llamastack is a small wrapper over the generated llama-stack-grpc packages
// (gen/llamastack/...): one place for the connection (TLS, mTLS), the API key, and
// reading an error's google.rpc details.
package llamastack

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io/ioutil"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
)

// Options of a connection. Any TLS file set means TLS: CAFile verifies the server;
// CertFile and KeyFile are a client certificate (mTLS).
type Options struct {
	APIKey   string
	CAFile   string
	CertFile string
	KeyFile  string
}

type apiKey string

func (k apiKey) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(k)}, nil
}

// The server on loopback may run without TLS; a key sent in clear is the caller's choice.
func (apiKey) RequireTransportSecurity() bool { return false }

// Dial connects to a llama-stack-grpc server at address (host:port).
func Dial(ctx context.Context, address string, options Options) (*grpc.ClientConn, error) {
	dialOptions := []grpc.DialOption{grpc.WithBlock()}
	if options.CAFile != "" || options.CertFile != "" {
		config := &tls.Config{}
		if options.CAFile != "" {
			pem, err := ioutil.ReadFile(options.CAFile)
			if err != nil {
				return nil, err
			}
			config.RootCAs = x509.NewCertPool()
			if !config.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("%s: no PEM certificate", options.CAFile)
			}
		}
		if options.CertFile != "" {
			pair, err := tls.LoadX509KeyPair(options.CertFile, options.KeyFile)
			if err != nil {
				return nil, err
			}
			config.Certificates = []tls.Certificate{pair}
		}
		dialOptions = append(dialOptions, grpc.WithTransportCredentials(credentials.NewTLS(config)))
	} else {
		dialOptions = append(dialOptions, grpc.WithInsecure())
	}
	if options.APIKey != "" {
		dialOptions = append(dialOptions, grpc.WithPerRPCCredentials(apiKey(options.APIKey)))
	}
	return grpc.DialContext(ctx, address, dialOptions...)
}

// FieldViolation is one bad request field (its JSON path) and what is wrong with it.
type FieldViolation struct{ Field, Description string }

// Details are the AIP-193 details of a failed call.
type Details struct {
	Code            string
	Message         string
	Reason, Domain  string        // google.rpc.ErrorInfo
	RetryDelay      time.Duration // google.rpc.RetryInfo (0: none)
	FieldViolations []FieldViolation
}

// ErrorDetails reads the status of a failed call.
func ErrorDetails(err error) Details {
	st := status.Convert(err)
	details := Details{Code: st.Code().String(), Message: st.Message()}
	for _, detail := range st.Details() {
		switch d := detail.(type) {
		case *errdetails.ErrorInfo:
			details.Reason, details.Domain = d.Reason, d.Domain
		case *errdetails.RetryInfo:
			delay := d.GetRetryDelay()
			details.RetryDelay = time.Duration(delay.GetSeconds())*time.Second + time.Duration(delay.GetNanos())
		case *errdetails.BadRequest:
			for _, v := range d.FieldViolations {
				details.FieldViolations = append(details.FieldViolations, FieldViolation{v.Field, v.Description})
			}
		}
	}
	return details
}
