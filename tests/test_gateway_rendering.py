"""The gateway's JSON bodies (gateway/rendering.py): large answers are kept rendered by
their content, so an answer read again is sent as kept, and an answer whose content
changed never is."""
from __future__ import annotations

from gateway.rendering import KEPT_FROM_BYTES, Renderer, dumps
from llamastack.datasets.v1beta import datasets_pb2
from llamastack_grpc.jsonmap import from_json, to_json


def dataset(tag: str, count: int = 1000) -> datasets_pb2.Dataset:
    rows = [{"question": f"{tag} question {i}?", "answer": f"{tag} {i}", "n": i} for i in range(count)]
    return from_json({"identifier": tag, "provider_resource_id": tag, "provider_id": "localfs", "type": "dataset",
                      "purpose": "eval/question-answer", "source": {"type": "rows", "rows": rows}},
                     datasets_pb2.Dataset)


def rendered(message) -> bytes:
    return dumps(to_json(message)).encode()


def test_an_answer_read_again_is_sent_as_kept_and_reads_as_rendering_gives():
    renderer = Renderer()
    first = dataset("a")
    body = renderer.body(first)
    assert body == rendered(first)
    # The same content parsed again (map entries in whatever order upb keeps) hits the entry.
    again = datasets_pb2.Dataset.FromString(first.SerializeToString())
    assert renderer.body(again) is body
    assert len(renderer.kept) == 1


def test_different_content_of_the_same_size_is_rendered_for_itself():
    renderer = Renderer()
    a, b = dataset("a"), dataset("b")
    assert a.ByteSize() == b.ByteSize()
    assert renderer.body(a) == rendered(a)
    assert renderer.body(b) == rendered(b) != rendered(a)
    assert len(renderer.kept) == 2


def test_small_answers_are_rendered_each_time_and_none_kept():
    renderer = Renderer()
    small = dataset("s", count=3)
    assert small.ByteSize() < KEPT_FROM_BYTES
    assert renderer.body(small) == rendered(small)
    assert not renderer.kept
    off = Renderer(cache_bytes=0)
    large = dataset("l")
    assert off.body(large) == rendered(large) and not off.kept


def test_the_kept_answers_stay_within_their_room_least_recently_sent_evicted_first():
    size = len(rendered(dataset("a")))
    renderer = Renderer(cache_bytes=size * 4 + size // 2)  # room for four
    for tag in "abcd":
        renderer.body(dataset(tag))
    renderer.body(dataset("a"))  # sent again: now the most recent
    renderer.body(dataset("e"))  # evicts b, the least recently sent
    assert list(renderer.kept.values()) == [rendered(dataset(tag)) for tag in "cdae"]
    assert renderer.kept_bytes == sum(len(body) for body in renderer.kept.values()) <= renderer.cache_bytes


def test_an_answer_larger_than_a_quarter_of_the_room_is_not_kept():
    renderer = Renderer(cache_bytes=len(rendered(dataset("a"))) * 3)
    large = dataset("a")
    assert renderer.body(large) == rendered(large)
    assert not renderer.kept

