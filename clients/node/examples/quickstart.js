// Registers a dataset, reads it back, streams an agent turn and reads an error's details.
// LLAMA_STACK_GRPC_ADDRESS (default 127.0.0.1:50051), LLAMA_STACK_API_KEY (optional),
// LLAMA_STACK_MODEL (the LLM the agent runs on; default demo-tiny-llama), and for TLS
// LLAMA_STACK_TLS_CA (the server's CA) with, for mTLS, LLAMA_STACK_TLS_CERT and _KEY.
import { DatasetsService, DatasetPurpose } from "../gen/llamastack/datasets/v1beta/datasets_pb.js";
import { DatasetIOService } from "../gen/llamastack/datasetio/v1beta/datasetio_pb.js";
import { AgentsService } from "../gen/llamastack/agents/v1alpha/agents_pb.js";
import { connect, errorDetails, member } from "../src/index.js";

const env = process.env;
const { client } = connect({
  address: env.LLAMA_STACK_GRPC_ADDRESS ?? "127.0.0.1:50051",
  apiKey: env.LLAMA_STACK_API_KEY,
  tls: env.LLAMA_STACK_TLS_CA
    ? { ca: env.LLAMA_STACK_TLS_CA, cert: env.LLAMA_STACK_TLS_CERT, key: env.LLAMA_STACK_TLS_KEY }
    : undefined,
});
const datasets = client(DatasetsService);
const rowsIO = client(DatasetIOService);
const agents = client(AgentsService);

// 1. Register a dataset from rows, and read a page back.
const dataset = await datasets.registerDataset({
  purpose: DatasetPurpose.EVAL_QUESTION_ANSWER,
  datasetId: "node-example",
  source: { source: member("rows", { rows: [{ question: "2+2?", answer: "4" }, { question: "3+3?", answer: "6" }] }) },
});
const page = await rowsIO.iterRows({ datasetId: dataset.identifier, limit: 10 });
console.log(`dataset ${dataset.identifier}: ${page.data.length} rows, first question ${page.data[0].question}`);

// 2. Stream an agent turn.
const { agentId } = await agents.createAgent({
  agentConfig: {
    model: process.env.LLAMA_STACK_MODEL ?? "demo-tiny-llama",
    instructions: "You are terse.",
    samplingParams: { strategy: { strategy: member("greedy", {}) }, maxTokens: 8 },
  },
});
const { sessionId } = await agents.createAgentSession({ agentId, sessionName: "node" });
const events = [];
for await (const chunk of agents.createAgentTurn({
  agentId,
  sessionId,
  messages: [{ message: member("user", { content: { content: member("text", "Hello!") } }) }],
})) {
  events.push(chunk.event.payload.payload.case.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
}
console.log(`turn events: ${events.join(",")}`);

// 3. Read an error's details.
try {
  await datasets.getDataset({ datasetId: "no-such-dataset" });
} catch (error) {
  const details = errorDetails(error);
  console.log(`error: ${details.code} ${details.reason} ${details.domain}: ${details.message}`);
}
