"""Read-modify-write paths of the domain services racing from two replicas' store instances
(on PostgreSQL two instances of one database; on LMDB the one store, from several threads):
no update is lost, nothing deleted comes back."""
from __future__ import annotations

import asyncio

import pytest
from google.protobuf import struct_pb2

from _client import Client
from llamastack.agents.v1alpha import agents_pb2 as agents_pb
from llamastack.datasets.v1beta import datasets_pb2
from server.agents.store import IN_PROGRESS, TURNS, AgentStore, TurnStatus
from server.config import ServerConfig
from server.datasets.service import DatasetService
from server.uris import FileAccess
from tests.conftest import RunningServer, make_config

DATASETS, DATASETIO = "llamastack.datasets.v1beta.DatasetsService/", "llamastack.datasetio.v1beta.DatasetIOService/"


def _row(replica: int, batch: int, item: int) -> struct_pb2.Struct:
    row = struct_pb2.Struct()
    row.update({"replica": replica, "batch": batch, "item": item})
    return row


async def test_appends_to_one_dataset_from_two_replicas_keep_every_row_once(open_store, tmp_path):
    first = open_store()
    files = FileAccess((tmp_path,))
    replicas = [DatasetService(first, files), DatasetService(open_store.replica(first), files)]
    request = datasets_pb2.RegisterDatasetRequest(dataset_id="shared",
                                                  purpose=datasets_pb2.DATASET_PURPOSE_EVAL_QUESTION_ANSWER)
    request.source.rows.rows.append(_row(-1, -1, -1))
    await replicas[0].register(request)

    async def append_batches(replica: int):
        for batch in range(8):
            await replicas[replica % 2].append_rows("shared", [_row(replica, batch, item) for item in range(3)])

    await asyncio.gather(*(append_batches(replica) for replica in range(4)))
    page = await replicas[1].iterrows("shared", limit=-1)
    rows = [(int(r["replica"]), int(r["batch"]), int(r["item"])) for r in page.data]
    expected = [(-1, -1, -1)] + [(r, b, i) for r in range(4) for b in range(8) for i in range(3)]
    assert sorted(rows) == sorted(expected)
    for replica in range(4):  # each replica's batches in the order it appended them, each batch whole
        mine = [row for row in rows if row[0] == replica]
        assert mine == sorted(mine)


async def test_steps_of_one_turn_racing_a_session_delete_leave_no_orphan_turn(open_store):
    first = open_store()
    runner, deleter = AgentStore(first), AgentStore(open_store.replica(first))
    await runner.put_agent(agents_pb.Agent(agent_id="a"))
    await runner.put_session("a", agents_pb.Session(session_id="s"))
    turn = agents_pb.Turn(turn_id="t", session_id="s")
    await runner.put_turn("a", turn, TurnStatus(IN_PROGRESS))
    started = asyncio.Event()

    async def run_steps():
        for step in range(40):
            turn.steps.add().inference.step_id = f"step-{step}"
            await runner.put_turn("a", turn, TurnStatus(IN_PROGRESS))
            if step == 5:
                started.set()

    async def delete_midway():
        await started.wait()
        await deleter.delete_session("a", "s")

    await asyncio.gather(run_steps(), delete_midway())
    with first.read() as txn:
        assert list(txn.scan(TURNS, b"a\0s\0")) == []
    assert runner.sessions("a") == []


def test_two_servers_on_one_database_share_datasets_over_both_protocols(postgres, tmp_path):
    """`storage: postgres`: what one server stores, the next one answers, over gRPC and REST."""
    dsn = postgres.new_database()
    servers = []
    for name in ("one", "two"):
        (tmp_path / name / "files").mkdir(parents=True)
        servers.append(RunningServer(make_config(tmp_path / name, storage="postgres", postgres_dsn=dsn)))
    try:
        clients = [Client(servers[0], "grpc"), Client(servers[1], "rest")]
        clients[0].call(DATASETS + "RegisterDataset", {
            "dataset_id": "shared", "purpose": "eval/question-answer",
            "source": {"type": "rows", "rows": [{"q": "first"}]}})
        clients[1].call(DATASETIO + "AppendRows", {"dataset_id": "shared", "rows": [{"q": "second"}]})
        for client in reversed(clients):
            page = client.call(DATASETIO + "IterRows", {"dataset_id": "shared"})
            assert [row["q"] for row in page["data"]] == ["first", "second"]
    finally:
        for server in servers:
            server.stop()


def test_storage_setting_is_checked():
    with pytest.raises(ValueError, match="storage must be lmdb or postgres"):
        ServerConfig(storage="sqlite")
    with pytest.raises(ValueError, match="postgres_dsn"):
        ServerConfig(storage="postgres")
