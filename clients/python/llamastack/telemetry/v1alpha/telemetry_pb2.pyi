import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from llamastack.annotations.v1 import annotations_pb2 as _annotations_pb2_1
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class QueryConditionOp(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QUERY_CONDITION_OP_UNSPECIFIED: _ClassVar[QueryConditionOp]
    QUERY_CONDITION_OP_EQ: _ClassVar[QueryConditionOp]
    QUERY_CONDITION_OP_NE: _ClassVar[QueryConditionOp]
    QUERY_CONDITION_OP_GT: _ClassVar[QueryConditionOp]
    QUERY_CONDITION_OP_LT: _ClassVar[QueryConditionOp]

class SpanStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SPAN_STATUS_UNSPECIFIED: _ClassVar[SpanStatus]
    SPAN_STATUS_OK: _ClassVar[SpanStatus]
    SPAN_STATUS_ERROR: _ClassVar[SpanStatus]

class MetricQueryType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    METRIC_QUERY_TYPE_UNSPECIFIED: _ClassVar[MetricQueryType]
    METRIC_QUERY_TYPE_RANGE: _ClassVar[MetricQueryType]
    METRIC_QUERY_TYPE_INSTANT: _ClassVar[MetricQueryType]

class MetricLabelOperator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    METRIC_LABEL_OPERATOR_UNSPECIFIED: _ClassVar[MetricLabelOperator]
    METRIC_LABEL_OPERATOR_EQUALS: _ClassVar[MetricLabelOperator]
    METRIC_LABEL_OPERATOR_NOT_EQUALS: _ClassVar[MetricLabelOperator]
    METRIC_LABEL_OPERATOR_REGEX_MATCH: _ClassVar[MetricLabelOperator]
    METRIC_LABEL_OPERATOR_REGEX_NOT_MATCH: _ClassVar[MetricLabelOperator]
QUERY_CONDITION_OP_UNSPECIFIED: QueryConditionOp
QUERY_CONDITION_OP_EQ: QueryConditionOp
QUERY_CONDITION_OP_NE: QueryConditionOp
QUERY_CONDITION_OP_GT: QueryConditionOp
QUERY_CONDITION_OP_LT: QueryConditionOp
SPAN_STATUS_UNSPECIFIED: SpanStatus
SPAN_STATUS_OK: SpanStatus
SPAN_STATUS_ERROR: SpanStatus
METRIC_QUERY_TYPE_UNSPECIFIED: MetricQueryType
METRIC_QUERY_TYPE_RANGE: MetricQueryType
METRIC_QUERY_TYPE_INSTANT: MetricQueryType
METRIC_LABEL_OPERATOR_UNSPECIFIED: MetricLabelOperator
METRIC_LABEL_OPERATOR_EQUALS: MetricLabelOperator
METRIC_LABEL_OPERATOR_NOT_EQUALS: MetricLabelOperator
METRIC_LABEL_OPERATOR_REGEX_MATCH: MetricLabelOperator
METRIC_LABEL_OPERATOR_REGEX_NOT_MATCH: MetricLabelOperator

class QueryCondition(_message.Message):
    __slots__ = ("key", "op", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    OP_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: str
    op: QueryConditionOp
    value: _struct_pb2.Value
    def __init__(self, key: _Optional[str] = ..., op: _Optional[_Union[QueryConditionOp, str]] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

class Trace(_message.Message):
    __slots__ = ("trace_id", "root_span_id", "start_time", "end_time")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    ROOT_SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    trace_id: str
    root_span_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, trace_id: _Optional[str] = ..., root_span_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Span(_message.Message):
    __slots__ = ("span_id", "trace_id", "parent_span_id", "name", "start_time", "end_time", "attributes")
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    span_id: str
    trace_id: str
    parent_span_id: str
    name: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    attributes: _struct_pb2.Struct
    def __init__(self, span_id: _Optional[str] = ..., trace_id: _Optional[str] = ..., parent_span_id: _Optional[str] = ..., name: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attributes: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class SpanWithStatus(_message.Message):
    __slots__ = ("span_id", "trace_id", "parent_span_id", "name", "start_time", "end_time", "attributes", "status")
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    span_id: str
    trace_id: str
    parent_span_id: str
    name: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    attributes: _struct_pb2.Struct
    status: SpanStatus
    def __init__(self, span_id: _Optional[str] = ..., trace_id: _Optional[str] = ..., parent_span_id: _Optional[str] = ..., name: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attributes: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., status: _Optional[_Union[SpanStatus, str]] = ...) -> None: ...

class QueryTracesRequest(_message.Message):
    __slots__ = ("attribute_filters", "limit", "offset", "order_by")
    ATTRIBUTE_FILTERS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    attribute_filters: _containers.RepeatedCompositeFieldContainer[QueryCondition]
    limit: int
    offset: int
    order_by: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, attribute_filters: _Optional[_Iterable[_Union[QueryCondition, _Mapping]]] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ..., order_by: _Optional[_Iterable[str]] = ...) -> None: ...

class QueryTracesResponse(_message.Message):
    __slots__ = ("data",)
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: _containers.RepeatedCompositeFieldContainer[Trace]
    def __init__(self, data: _Optional[_Iterable[_Union[Trace, _Mapping]]] = ...) -> None: ...

class GetTraceRequest(_message.Message):
    __slots__ = ("trace_id",)
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    trace_id: str
    def __init__(self, trace_id: _Optional[str] = ...) -> None: ...

class GetSpanRequest(_message.Message):
    __slots__ = ("trace_id", "span_id")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    trace_id: str
    span_id: str
    def __init__(self, trace_id: _Optional[str] = ..., span_id: _Optional[str] = ...) -> None: ...

class GetSpanTreeRequest(_message.Message):
    __slots__ = ("span_id", "attributes_to_return", "max_depth")
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_TO_RETURN_FIELD_NUMBER: _ClassVar[int]
    MAX_DEPTH_FIELD_NUMBER: _ClassVar[int]
    span_id: str
    attributes_to_return: _containers.RepeatedScalarFieldContainer[str]
    max_depth: int
    def __init__(self, span_id: _Optional[str] = ..., attributes_to_return: _Optional[_Iterable[str]] = ..., max_depth: _Optional[int] = ...) -> None: ...

class QuerySpanTreeResponse(_message.Message):
    __slots__ = ("data",)
    class DataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: SpanWithStatus
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[SpanWithStatus, _Mapping]] = ...) -> None: ...
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: _containers.MessageMap[str, SpanWithStatus]
    def __init__(self, data: _Optional[_Mapping[str, SpanWithStatus]] = ...) -> None: ...

class QuerySpansRequest(_message.Message):
    __slots__ = ("attribute_filters", "attributes_to_return", "max_depth")
    ATTRIBUTE_FILTERS_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_TO_RETURN_FIELD_NUMBER: _ClassVar[int]
    MAX_DEPTH_FIELD_NUMBER: _ClassVar[int]
    attribute_filters: _containers.RepeatedCompositeFieldContainer[QueryCondition]
    attributes_to_return: _containers.RepeatedScalarFieldContainer[str]
    max_depth: int
    def __init__(self, attribute_filters: _Optional[_Iterable[_Union[QueryCondition, _Mapping]]] = ..., attributes_to_return: _Optional[_Iterable[str]] = ..., max_depth: _Optional[int] = ...) -> None: ...

class QuerySpansResponse(_message.Message):
    __slots__ = ("data",)
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: _containers.RepeatedCompositeFieldContainer[Span]
    def __init__(self, data: _Optional[_Iterable[_Union[Span, _Mapping]]] = ...) -> None: ...

class SaveSpansToDatasetRequest(_message.Message):
    __slots__ = ("attribute_filters", "attributes_to_save", "dataset_id", "max_depth")
    ATTRIBUTE_FILTERS_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_TO_SAVE_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    MAX_DEPTH_FIELD_NUMBER: _ClassVar[int]
    attribute_filters: _containers.RepeatedCompositeFieldContainer[QueryCondition]
    attributes_to_save: _containers.RepeatedScalarFieldContainer[str]
    dataset_id: str
    max_depth: int
    def __init__(self, attribute_filters: _Optional[_Iterable[_Union[QueryCondition, _Mapping]]] = ..., attributes_to_save: _Optional[_Iterable[str]] = ..., dataset_id: _Optional[str] = ..., max_depth: _Optional[int] = ...) -> None: ...

class QueryMetricsRequest(_message.Message):
    __slots__ = ("metric_name", "start_time", "end_time", "granularity", "query_type", "label_matchers")
    class MetricLabelMatcher(_message.Message):
        __slots__ = ("name", "value", "operator")
        NAME_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        OPERATOR_FIELD_NUMBER: _ClassVar[int]
        name: str
        value: str
        operator: MetricLabelOperator
        def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ..., operator: _Optional[_Union[MetricLabelOperator, str]] = ...) -> None: ...
    METRIC_NAME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    GRANULARITY_FIELD_NUMBER: _ClassVar[int]
    QUERY_TYPE_FIELD_NUMBER: _ClassVar[int]
    LABEL_MATCHERS_FIELD_NUMBER: _ClassVar[int]
    metric_name: str
    start_time: int
    end_time: int
    granularity: str
    query_type: MetricQueryType
    label_matchers: _containers.RepeatedCompositeFieldContainer[QueryMetricsRequest.MetricLabelMatcher]
    def __init__(self, metric_name: _Optional[str] = ..., start_time: _Optional[int] = ..., end_time: _Optional[int] = ..., granularity: _Optional[str] = ..., query_type: _Optional[_Union[MetricQueryType, str]] = ..., label_matchers: _Optional[_Iterable[_Union[QueryMetricsRequest.MetricLabelMatcher, _Mapping]]] = ...) -> None: ...

class MetricLabel(_message.Message):
    __slots__ = ("name", "value")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: str
    def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class MetricDataPoint(_message.Message):
    __slots__ = ("timestamp", "value", "unit")
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    timestamp: int
    value: float
    unit: str
    def __init__(self, timestamp: _Optional[int] = ..., value: _Optional[float] = ..., unit: _Optional[str] = ...) -> None: ...

class MetricSeries(_message.Message):
    __slots__ = ("metric", "labels", "values")
    METRIC_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    metric: str
    labels: _containers.RepeatedCompositeFieldContainer[MetricLabel]
    values: _containers.RepeatedCompositeFieldContainer[MetricDataPoint]
    def __init__(self, metric: _Optional[str] = ..., labels: _Optional[_Iterable[_Union[MetricLabel, _Mapping]]] = ..., values: _Optional[_Iterable[_Union[MetricDataPoint, _Mapping]]] = ...) -> None: ...

class QueryMetricsResponse(_message.Message):
    __slots__ = ("data",)
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: _containers.RepeatedCompositeFieldContainer[MetricSeries]
    def __init__(self, data: _Optional[_Iterable[_Union[MetricSeries, _Mapping]]] = ...) -> None: ...
