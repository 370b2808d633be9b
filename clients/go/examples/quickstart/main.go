// Registers a dataset, reads it back, streams an agent turn and reads an error's details.
// LLAMA_STACK_GRPC_ADDRESS (default 127.0.0.1:50051), LLAMA_STACK_API_KEY (optional),
// LLAMA_STACK_MODEL (the LLM the agent runs on; default demo-tiny-llama), and for TLS
// LLAMA_STACK_TLS_CA (the server's CA) with, for mTLS, LLAMA_STACK_TLS_CERT and _KEY.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/llamastack/llama-stack-grpc/clients/go/gen/llamastack/agents/v1alpha"
	"github.com/llamastack/llama-stack-grpc/clients/go/gen/llamastack/common/v1"
	"github.com/llamastack/llama-stack-grpc/clients/go/gen/llamastack/datasetio/v1beta"
	"github.com/llamastack/llama-stack-grpc/clients/go/gen/llamastack/datasets/v1beta"
	"github.com/llamastack/llama-stack-grpc/clients/go/llamastack"
)

func env(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	conn, err := llamastack.Dial(ctx, env("LLAMA_STACK_GRPC_ADDRESS", "127.0.0.1:50051"),
		llamastack.Options{APIKey: os.Getenv("LLAMA_STACK_API_KEY"), CAFile: os.Getenv("LLAMA_STACK_TLS_CA"),
			CertFile: os.Getenv("LLAMA_STACK_TLS_CERT"), KeyFile: os.Getenv("LLAMA_STACK_TLS_KEY")})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	datasets := datasetsv1beta.NewDatasetsServiceClient(conn)
	rowsIO := datasetiov1beta.NewDatasetIOServiceClient(conn)
	agents := agentsv1alpha.NewAgentsServiceClient(conn)

	// 1. Register a dataset from rows, and read a page back.
	var rows []*structpb.Struct
	for _, qa := range [][2]string{{"2+2?", "4"}, {"3+3?", "6"}} {
		row, _ := structpb.NewStruct(map[string]interface{}{"question": qa[0], "answer": qa[1]})
		rows = append(rows, row)
	}
	id := "go-example"
	dataset, err := datasets.RegisterDataset(ctx, &datasetsv1beta.RegisterDatasetRequest{
		Purpose:   datasetsv1beta.DatasetPurpose_DATASET_PURPOSE_EVAL_QUESTION_ANSWER,
		DatasetId: &id,
		Source: &datasetsv1beta.DataSource{Source: &datasetsv1beta.DataSource_Rows{
			Rows: &datasetsv1beta.RowsDataSource{Rows: rows}}},
	})
	if err != nil {
		log.Fatal(err)
	}
	limit := int32(10)
	page, err := rowsIO.IterRows(ctx, &datasetiov1beta.IterRowsRequest{DatasetId: dataset.Identifier, Limit: &limit})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("dataset %s: %d rows, first question %s\n", dataset.Identifier, len(page.Data),
		page.Data[0].Fields["question"].GetStringValue())

	// 2. Stream an agent turn.
	maxTokens := int32(8)
	agent, err := agents.CreateAgent(ctx, &agentsv1alpha.CreateAgentRequest{AgentConfig: &commonv1.AgentConfig{
		Model:        env("LLAMA_STACK_MODEL", "demo-tiny-llama"),
		Instructions: "You are terse.",
		SamplingParams: &commonv1.SamplingParams{MaxTokens: &maxTokens, Strategy: &commonv1.SamplingStrategy{
			Strategy: &commonv1.SamplingStrategy_Greedy{Greedy: &commonv1.GreedySamplingStrategy{}}}},
	}})
	if err != nil {
		log.Fatal(err)
	}
	session, err := agents.CreateAgentSession(ctx, &agentsv1alpha.CreateAgentSessionRequest{
		AgentId: agent.AgentId, SessionName: "go"})
	if err != nil {
		log.Fatal(err)
	}
	hello := &commonv1.InterleavedContent{Content: &commonv1.InterleavedContent_Text{Text: "Hello!"}}
	stream, err := agents.CreateAgentTurn(ctx, &agentsv1alpha.CreateAgentTurnRequest{
		AgentId: agent.AgentId, SessionId: session.SessionId,
		Messages: []*agentsv1alpha.TurnInputMessage{{Message: &agentsv1alpha.TurnInputMessage_User{
			User: &commonv1.UserMessage{Content: hello}}}},
	})
	if err != nil {
		log.Fatal(err)
	}
	var events []string
	for {
		chunk, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		payload := chunk.GetEvent().GetPayload().ProtoReflect()
		events = append(events, string(payload.WhichOneof(payload.Descriptor().Oneofs().ByName("payload")).Name()))
	}
	fmt.Printf("turn events: %s\n", strings.Join(events, ","))

	// 3. Read an error's details.
	_, err = datasets.GetDataset(ctx, &datasetsv1beta.GetDatasetRequest{DatasetId: "no-such-dataset"})
	details := llamastack.ErrorDetails(err)
	fmt.Printf("error: %s %s %s: %s\n", details.Code, details.Reason, details.Domain, details.Message)
}
