from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from llamastack.annotations.v1 import annotations_pb2 as _annotations_pb2_1
from llamastack.common.v1 import agent_config_pb2 as _agent_config_pb2
from llamastack.common.v1 import common_pb2 as _common_pb2
from llamastack.common.v1 import inference_pb2 as _inference_pb2
from llamastack.common.v1 import messages_pb2 as _messages_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AggregationFunctionType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AGGREGATION_FUNCTION_TYPE_UNSPECIFIED: _ClassVar[AggregationFunctionType]
    AGGREGATION_FUNCTION_TYPE_AVERAGE: _ClassVar[AggregationFunctionType]
    AGGREGATION_FUNCTION_TYPE_WEIGHTED_AVERAGE: _ClassVar[AggregationFunctionType]
    AGGREGATION_FUNCTION_TYPE_MEDIAN: _ClassVar[AggregationFunctionType]
    AGGREGATION_FUNCTION_TYPE_CATEGORICAL_COUNT: _ClassVar[AggregationFunctionType]
    AGGREGATION_FUNCTION_TYPE_ACCURACY: _ClassVar[AggregationFunctionType]

class ScoringFnParamsType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCORING_FN_PARAMS_TYPE_UNSPECIFIED: _ClassVar[ScoringFnParamsType]
    SCORING_FN_PARAMS_TYPE_LLM_AS_JUDGE: _ClassVar[ScoringFnParamsType]
    SCORING_FN_PARAMS_TYPE_REGEX_PARSER: _ClassVar[ScoringFnParamsType]
    SCORING_FN_PARAMS_TYPE_BASIC: _ClassVar[ScoringFnParamsType]

class JobStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_STATUS_UNSPECIFIED: _ClassVar[JobStatus]
    JOB_STATUS_COMPLETED: _ClassVar[JobStatus]
    JOB_STATUS_IN_PROGRESS: _ClassVar[JobStatus]
    JOB_STATUS_FAILED: _ClassVar[JobStatus]
    JOB_STATUS_SCHEDULED: _ClassVar[JobStatus]
    JOB_STATUS_CANCELLED: _ClassVar[JobStatus]
AGGREGATION_FUNCTION_TYPE_UNSPECIFIED: AggregationFunctionType
AGGREGATION_FUNCTION_TYPE_AVERAGE: AggregationFunctionType
AGGREGATION_FUNCTION_TYPE_WEIGHTED_AVERAGE: AggregationFunctionType
AGGREGATION_FUNCTION_TYPE_MEDIAN: AggregationFunctionType
AGGREGATION_FUNCTION_TYPE_CATEGORICAL_COUNT: AggregationFunctionType
AGGREGATION_FUNCTION_TYPE_ACCURACY: AggregationFunctionType
SCORING_FN_PARAMS_TYPE_UNSPECIFIED: ScoringFnParamsType
SCORING_FN_PARAMS_TYPE_LLM_AS_JUDGE: ScoringFnParamsType
SCORING_FN_PARAMS_TYPE_REGEX_PARSER: ScoringFnParamsType
SCORING_FN_PARAMS_TYPE_BASIC: ScoringFnParamsType
JOB_STATUS_UNSPECIFIED: JobStatus
JOB_STATUS_COMPLETED: JobStatus
JOB_STATUS_IN_PROGRESS: JobStatus
JOB_STATUS_FAILED: JobStatus
JOB_STATUS_SCHEDULED: JobStatus
JOB_STATUS_CANCELLED: JobStatus

class Benchmark(_message.Message):
    __slots__ = ("identifier", "provider_resource_id", "provider_id", "type", "dataset_id", "scoring_functions", "metadata")
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    SCORING_FUNCTIONS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    identifier: str
    provider_resource_id: str
    provider_id: str
    type: _common_pb2.ResourceType
    dataset_id: str
    scoring_functions: _containers.RepeatedScalarFieldContainer[str]
    metadata: _struct_pb2.Struct
    def __init__(self, identifier: _Optional[str] = ..., provider_resource_id: _Optional[str] = ..., provider_id: _Optional[str] = ..., type: _Optional[_Union[_common_pb2.ResourceType, str]] = ..., dataset_id: _Optional[str] = ..., scoring_functions: _Optional[_Iterable[str]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ListBenchmarksRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListBenchmarksResponse(_message.Message):
    __slots__ = ("data",)
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: _containers.RepeatedCompositeFieldContainer[Benchmark]
    def __init__(self, data: _Optional[_Iterable[_Union[Benchmark, _Mapping]]] = ...) -> None: ...

class RegisterBenchmarkRequest(_message.Message):
    __slots__ = ("benchmark_id", "dataset_id", "scoring_functions", "provider_benchmark_id", "provider_id", "metadata")
    BENCHMARK_ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    SCORING_FUNCTIONS_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_BENCHMARK_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    benchmark_id: str
    dataset_id: str
    scoring_functions: _containers.RepeatedScalarFieldContainer[str]
    provider_benchmark_id: str
    provider_id: str
    metadata: _struct_pb2.Struct
    def __init__(self, benchmark_id: _Optional[str] = ..., dataset_id: _Optional[str] = ..., scoring_functions: _Optional[_Iterable[str]] = ..., provider_benchmark_id: _Optional[str] = ..., provider_id: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class GetBenchmarkRequest(_message.Message):
    __slots__ = ("benchmark_id",)
    BENCHMARK_ID_FIELD_NUMBER: _ClassVar[int]
    benchmark_id: str
    def __init__(self, benchmark_id: _Optional[str] = ...) -> None: ...

class UnregisterBenchmarkRequest(_message.Message):
    __slots__ = ("benchmark_id",)
    BENCHMARK_ID_FIELD_NUMBER: _ClassVar[int]
    benchmark_id: str
    def __init__(self, benchmark_id: _Optional[str] = ...) -> None: ...

class ModelCandidate(_message.Message):
    __slots__ = ("type", "model", "sampling_params", "system_message")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    SAMPLING_PARAMS_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    type: str
    model: str
    sampling_params: _inference_pb2.SamplingParams
    system_message: _messages_pb2.SystemMessage
    def __init__(self, type: _Optional[str] = ..., model: _Optional[str] = ..., sampling_params: _Optional[_Union[_inference_pb2.SamplingParams, _Mapping]] = ..., system_message: _Optional[_Union[_messages_pb2.SystemMessage, _Mapping]] = ...) -> None: ...

class AgentCandidate(_message.Message):
    __slots__ = ("type", "config")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    type: str
    config: _agent_config_pb2.AgentConfig
    def __init__(self, type: _Optional[str] = ..., config: _Optional[_Union[_agent_config_pb2.AgentConfig, _Mapping]] = ...) -> None: ...

class EvalCandidate(_message.Message):
    __slots__ = ("model", "agent")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    model: ModelCandidate
    agent: AgentCandidate
    def __init__(self, model: _Optional[_Union[ModelCandidate, _Mapping]] = ..., agent: _Optional[_Union[AgentCandidate, _Mapping]] = ...) -> None: ...

class LLMAsJudgeScoringFnParams(_message.Message):
    __slots__ = ("type", "judge_model", "prompt_template", "judge_score_regexes", "aggregation_functions")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    JUDGE_MODEL_FIELD_NUMBER: _ClassVar[int]
    PROMPT_TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    JUDGE_SCORE_REGEXES_FIELD_NUMBER: _ClassVar[int]
    AGGREGATION_FUNCTIONS_FIELD_NUMBER: _ClassVar[int]
    type: ScoringFnParamsType
    judge_model: str
    prompt_template: str
    judge_score_regexes: _containers.RepeatedScalarFieldContainer[str]
    aggregation_functions: _containers.RepeatedScalarFieldContainer[AggregationFunctionType]
    def __init__(self, type: _Optional[_Union[ScoringFnParamsType, str]] = ..., judge_model: _Optional[str] = ..., prompt_template: _Optional[str] = ..., judge_score_regexes: _Optional[_Iterable[str]] = ..., aggregation_functions: _Optional[_Iterable[_Union[AggregationFunctionType, str]]] = ...) -> None: ...

class RegexParserScoringFnParams(_message.Message):
    __slots__ = ("type", "parsing_regexes", "aggregation_functions")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    PARSING_REGEXES_FIELD_NUMBER: _ClassVar[int]
    AGGREGATION_FUNCTIONS_FIELD_NUMBER: _ClassVar[int]
    type: ScoringFnParamsType
    parsing_regexes: _containers.RepeatedScalarFieldContainer[str]
    aggregation_functions: _containers.RepeatedScalarFieldContainer[AggregationFunctionType]
    def __init__(self, type: _Optional[_Union[ScoringFnParamsType, str]] = ..., parsing_regexes: _Optional[_Iterable[str]] = ..., aggregation_functions: _Optional[_Iterable[_Union[AggregationFunctionType, str]]] = ...) -> None: ...

class BasicScoringFnParams(_message.Message):
    __slots__ = ("type", "aggregation_functions")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    AGGREGATION_FUNCTIONS_FIELD_NUMBER: _ClassVar[int]
    type: ScoringFnParamsType
    aggregation_functions: _containers.RepeatedScalarFieldContainer[AggregationFunctionType]
    def __init__(self, type: _Optional[_Union[ScoringFnParamsType, str]] = ..., aggregation_functions: _Optional[_Iterable[_Union[AggregationFunctionType, str]]] = ...) -> None: ...

class ScoringFnParams(_message.Message):
    __slots__ = ("llm_as_judge", "regex_parser", "basic")
    LLM_AS_JUDGE_FIELD_NUMBER: _ClassVar[int]
    REGEX_PARSER_FIELD_NUMBER: _ClassVar[int]
    BASIC_FIELD_NUMBER: _ClassVar[int]
    llm_as_judge: LLMAsJudgeScoringFnParams
    regex_parser: RegexParserScoringFnParams
    basic: BasicScoringFnParams
    def __init__(self, llm_as_judge: _Optional[_Union[LLMAsJudgeScoringFnParams, _Mapping]] = ..., regex_parser: _Optional[_Union[RegexParserScoringFnParams, _Mapping]] = ..., basic: _Optional[_Union[BasicScoringFnParams, _Mapping]] = ...) -> None: ...

class BenchmarkConfig(_message.Message):
    __slots__ = ("eval_candidate", "scoring_params", "num_examples")
    class ScoringParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: ScoringFnParams
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[ScoringFnParams, _Mapping]] = ...) -> None: ...
    EVAL_CANDIDATE_FIELD_NUMBER: _ClassVar[int]
    SCORING_PARAMS_FIELD_NUMBER: _ClassVar[int]
    NUM_EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    eval_candidate: EvalCandidate
    scoring_params: _containers.MessageMap[str, ScoringFnParams]
    num_examples: int
    def __init__(self, eval_candidate: _Optional[_Union[EvalCandidate, _Mapping]] = ..., scoring_params: _Optional[_Mapping[str, ScoringFnParams]] = ..., num_examples: _Optional[int] = ...) -> None: ...

class ScoringResult(_message.Message):
    __slots__ = ("score_rows", "aggregated_results")
    SCORE_ROWS_FIELD_NUMBER: _ClassVar[int]
    AGGREGATED_RESULTS_FIELD_NUMBER: _ClassVar[int]
    score_rows: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Struct]
    aggregated_results: _struct_pb2.Struct
    def __init__(self, score_rows: _Optional[_Iterable[_Union[_struct_pb2.Struct, _Mapping]]] = ..., aggregated_results: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class EvaluateResponse(_message.Message):
    __slots__ = ("generations", "scores")
    class ScoresEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: ScoringResult
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[ScoringResult, _Mapping]] = ...) -> None: ...
    GENERATIONS_FIELD_NUMBER: _ClassVar[int]
    SCORES_FIELD_NUMBER: _ClassVar[int]
    generations: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Struct]
    scores: _containers.MessageMap[str, ScoringResult]
    def __init__(self, generations: _Optional[_Iterable[_Union[_struct_pb2.Struct, _Mapping]]] = ..., scores: _Optional[_Mapping[str, ScoringResult]] = ...) -> None: ...

class Job(_message.Message):
    __slots__ = ("job_id", "status")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    status: JobStatus
    def __init__(self, job_id: _Optional[str] = ..., status: _Optional[_Union[JobStatus, str]] = ...) -> None: ...

class EvaluateRowsRequest(_message.Message):
    __slots__ = ("benchmark_id", "input_rows", "scoring_functions", "benchmark_config")
    BENCHMARK_ID_FIELD_NUMBER: _ClassVar[int]
    INPUT_ROWS_FIELD_NUMBER: _ClassVar[int]
    SCORING_FUNCTIONS_FIELD_NUMBER: _ClassVar[int]
    BENCHMARK_CONFIG_FIELD_NUMBER: _ClassVar[int]
    benchmark_id: str
    input_rows: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Struct]
    scoring_functions: _containers.RepeatedScalarFieldContainer[str]
    benchmark_config: BenchmarkConfig
    def __init__(self, benchmark_id: _Optional[str] = ..., input_rows: _Optional[_Iterable[_Union[_struct_pb2.Struct, _Mapping]]] = ..., scoring_functions: _Optional[_Iterable[str]] = ..., benchmark_config: _Optional[_Union[BenchmarkConfig, _Mapping]] = ...) -> None: ...

class RunEvalRequest(_message.Message):
    __slots__ = ("benchmark_id", "benchmark_config")
    BENCHMARK_ID_FIELD_NUMBER: _ClassVar[int]
    BENCHMARK_CONFIG_FIELD_NUMBER: _ClassVar[int]
    benchmark_id: str
    benchmark_config: BenchmarkConfig
    def __init__(self, benchmark_id: _Optional[str] = ..., benchmark_config: _Optional[_Union[BenchmarkConfig, _Mapping]] = ...) -> None: ...

class JobStatusRequest(_message.Message):
    __slots__ = ("benchmark_id", "job_id")
    BENCHMARK_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    benchmark_id: str
    job_id: str
    def __init__(self, benchmark_id: _Optional[str] = ..., job_id: _Optional[str] = ...) -> None: ...

class JobCancelRequest(_message.Message):
    __slots__ = ("benchmark_id", "job_id")
    BENCHMARK_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    benchmark_id: str
    job_id: str
    def __init__(self, benchmark_id: _Optional[str] = ..., job_id: _Optional[str] = ...) -> None: ...

class JobResultRequest(_message.Message):
    __slots__ = ("benchmark_id", "job_id")
    BENCHMARK_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    benchmark_id: str
    job_id: str
    def __init__(self, benchmark_id: _Optional[str] = ..., job_id: _Optional[str] = ...) -> None: ...
