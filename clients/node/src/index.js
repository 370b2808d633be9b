// A small wrapper over the generated code (gen/, from `npm run generate`) and
// Connect-Node's gRPC transport: one place for the channel (TLS, mTLS), the API key,
// and reading an error's google.rpc details.
import { readFileSync } from "node:fs";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../gen/google/rpc/error_details_pb.js";

/**
 * A gRPC transport to a llama-stack-grpc server.
 * @param {object} options
 * @param {string} options.address host:port, e.g. "127.0.0.1:50051"
 * @param {string} [options.apiKey] sent as `authorization: Bearer <key>` on every call
 * @param {{ca?: string, cert?: string, key?: string}} [options.tls] PEM file paths; any set means TLS
 *   (ca: the server's CA; cert and key: a client certificate, for mTLS)
 */
export function connect({ address, apiKey, tls } = {}) {
  const secure = tls !== undefined;
  const read = (path) => (path ? readFileSync(path) : undefined);
  const interceptors = apiKey
    ? [(next) => async (req) => {
        req.header.set("authorization", `Bearer ${apiKey}`);
        return next(req);
      }]
    : [];
  const transport = createGrpcTransport({
    baseUrl: `${secure ? "https" : "http"}://${address}`,
    interceptors,
    nodeOptions: secure ? { ca: read(tls.ca), cert: read(tls.cert), key: read(tls.key) } : undefined,
  });
  return {
    transport,
    /** A typed client for one generated service, e.g. client(DatasetsService). */
    client: (service) => createClient(service, transport),
  };
}

/**
 * The AIP-193 details of a failed call: the code's name, the message, ErrorInfo's reason
 * and domain, RetryInfo's delay (seconds) and BadRequest's field violations.
 */
export function errorDetails(error) {
  const err = ConnectError.from(error);
  const [info] = err.findDetails(ErrorInfoSchema);
  const [retry] = err.findDetails(RetryInfoSchema);
  const [badRequest] = err.findDetails(BadRequestSchema);
  return {
    code: Code[err.code],
    message: err.rawMessage,
    reason: info?.reason,
    domain: info?.domain,
    retryDelaySeconds: retry?.retryDelay ? Number(retry.retryDelay.seconds) + retry.retryDelay.nanos / 1e9 : undefined,
    fieldViolations: (badRequest?.fieldViolations ?? []).map((v) => ({ field: v.field, description: v.description })),
  };
}

/** A union (proto oneof) member, in Protobuf-ES's shape: {case, value}. */
export const member = (name, value) => ({ case: name, value });
