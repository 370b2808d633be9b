"""Durable agents, sessions and turns.

Keys: agents `<agent>`; sessions `<agent>\\0<session>`; turns
`<agent>\\0<session>\\0<turn>` (turn ids sort by creation time), with the turn's status
beside it under the same key. A turn is written again each time a step completes, so a
running turn can be read step by step; whatever is running when the process dies is
marked failed on the next start.

Writes are fsynced transactions, committed in order by one writer thread (group commit:
the steps of many turns finishing together cost one sync, and the event loop never waits
on the disk). Each runs to its commit even if its caller is cancelled, and none can
overtake an earlier one (a turn's ending after its last step).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from llamastack.agents.v1alpha import agents_pb2 as pb
from server.errors import NotFound
from server.jobs.writer import GroupWriter, Written
from server.storage import KeyValueStore

AGENTS, SESSIONS, TURNS, TURN_STATUS = "agents", "agent_sessions", "agent_turns", "agent_turn_status"

IN_PROGRESS, AWAITING_INPUT, COMPLETED = "in_progress", "awaiting_input", "completed"
FAILED, CANCELLED = "failed", "cancelled"  # an error ended it; its caller left


@dataclass
class TurnStatus:
    status: str
    error: str | None = None
    # Client tool calls the turn waits for (call ids), when awaiting input.
    pending_calls: list[str] = field(default_factory=list)


def _key(*parts: str) -> bytes:
    return "\0".join(parts).encode()


class AgentStore:
    def __init__(self, store: KeyValueStore):
        self._store = store
        store.open_tables(AGENTS, SESSIONS, TURNS, TURN_STATUS)
        self._writer = GroupWriter(store, name="agent-writer")

    def close(self) -> None:
        """Commit the writes still queued (before the store closes)."""
        self._writer.close()

    def _write(self, work) -> Written:
        return self._writer.submit(work)

    # ---------------------------------------------------------------- agents

    async def put_agent(self, agent: pb.Agent) -> None:
        await self._write(lambda txn: txn.put(AGENTS, _key(agent.agent_id), agent.SerializeToString()))

    def agent(self, agent_id: str) -> pb.Agent:
        data = self._store.get(AGENTS, _key(agent_id))
        if data is None:
            raise NotFound(f"Agent '{agent_id}' not found")
        return pb.Agent.FromString(data)

    def agents(self) -> list[pb.Agent]:
        with self._store.read() as txn:
            agents = [pb.Agent.FromString(v) for _, v in txn.scan(AGENTS)]
        return sorted(agents, key=lambda a: (a.created_at.ToNanoseconds(), a.agent_id))

    async def delete_agent(self, agent_id: str) -> None:
        self.agent(agent_id)

        def delete(txn):
            txn.delete(AGENTS, _key(agent_id))
            prefix = _key(agent_id) + b"\0"
            for table in (SESSIONS, TURNS, TURN_STATUS):
                txn.delete_prefix(table, prefix)

        await self._write(delete)

    # ---------------------------------------------------------------- sessions

    async def put_session(self, agent_id: str, session: pb.Session) -> None:
        stored = pb.Session(session_id=session.session_id, session_name=session.session_name,
                            started_at=session.started_at).SerializeToString()
        await self._write(lambda txn: txn.put(SESSIONS, _key(agent_id, session.session_id), stored))

    def session(self, agent_id: str, session_id: str, turn_ids: list[str] | None = None) -> pb.Session:
        self.check_session(agent_id, session_id)
        with self._store.read() as txn:
            session = pb.Session.FromString(txn.get(SESSIONS, _key(agent_id, session_id)))
            for _, value in txn.scan(TURNS, _key(agent_id, session_id) + b"\0"):
                turn = pb.Turn.FromString(value)
                if not turn_ids or turn.turn_id in turn_ids:
                    session.turns.append(turn)
        return session

    def sessions(self, agent_id: str) -> list[pb.Session]:
        self.agent(agent_id)
        with self._store.read() as txn:
            sessions = [pb.Session.FromString(v) for _, v in txn.scan(SESSIONS, _key(agent_id) + b"\0")]
        return sorted(sessions, key=lambda s: (s.started_at.ToNanoseconds(), s.session_id))

    async def delete_session(self, agent_id: str, session_id: str) -> None:
        self.session(agent_id, session_id)

        def delete(txn):
            txn.delete(SESSIONS, _key(agent_id, session_id))
            prefix = _key(agent_id, session_id) + b"\0"
            txn.delete_prefix(TURNS, prefix)
            txn.delete_prefix(TURN_STATUS, prefix)

        await self._write(delete)

    # ---------------------------------------------------------------- turns

    def put_turn(self, agent_id: str, turn: pb.Turn, status: TurnStatus) -> Written:
        """Queue the turn's write: it is durable once the answer is awaited."""
        key = _key(agent_id, turn.session_id, turn.turn_id)
        # Serialized now: the turn goes on changing while the worker thread writes.
        value, status_value = turn.SerializeToString(), json.dumps(asdict(status)).encode()

        def write(txn):
            if txn.get(SESSIONS, _key(agent_id, turn.session_id)) is None:
                return  # the session was deleted while the turn ran: nothing to keep
            txn.put(TURNS, key, value)
            txn.put(TURN_STATUS, key, status_value)

        return self._write(write)

    def check_session(self, agent_id: str, session_id: str) -> None:
        self.agent(agent_id)
        if self._store.get(SESSIONS, _key(agent_id, session_id)) is None:
            raise NotFound(f"Session '{session_id}' not found for agent '{agent_id}'")

    def turn(self, agent_id: str, session_id: str, turn_id: str) -> tuple[pb.Turn, TurnStatus]:
        self.check_session(agent_id, session_id)
        with self._store.read() as txn:
            key = _key(agent_id, session_id, turn_id)
            data = txn.get(TURNS, key)
            if data is None:
                raise NotFound(f"Turn '{turn_id}' not found in session '{session_id}'")
            return pb.Turn.FromString(data), TurnStatus(**json.loads(txn.get(TURN_STATUS, key)))

    def history(self, agent_id: str, session_id: str, before_turn: str) -> list[pb.Turn]:
        """The session's finished turns that came before this one, oldest first."""
        with self._store.read() as txn:
            prefix = _key(agent_id, session_id) + b"\0"
            turns = []
            for key, value in txn.scan(TURNS, prefix):
                status = json.loads(txn.get(TURN_STATUS, key))["status"]
                turn = pb.Turn.FromString(value)
                if turn.turn_id < before_turn and status == COMPLETED:
                    turns.append(turn)
        return turns

    def fail_interrupted(self, reason: str, finish) -> int:
        """Mark every turn left in progress as failed (`finish(turn)` fills its ending)."""
        def write(txn):
            count = 0
            for key, value in list(txn.scan(TURN_STATUS)):
                status = TurnStatus(**json.loads(value))
                if status.status != IN_PROGRESS:
                    continue
                turn = pb.Turn.FromString(txn.get(TURNS, key))
                finish(turn)
                txn.put(TURNS, key, turn.SerializeToString())
                txn.put(TURN_STATUS, key, json.dumps(asdict(TurnStatus(FAILED, reason))).encode())
                count += 1
            return count

        return self._store.write(write)
