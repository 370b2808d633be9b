"""Thin servicers for llamastack.agents.v1alpha.AgentsService and the draft's
llamastack.agents.v0.AgentsService (execute, memory fetch)."""
from __future__ import annotations

from google.protobuf import empty_pb2

from llamastack.agents.v1alpha import agents_pb2 as pb
from llamastack.common.v1 import common_pb2
from llamastack_grpc.jsonmap import to_json
from server.agents.draft import DraftAgentExecution
from server.agents.memories import DraftMemories
from server.agents.service import AgentService
from server.errors import InvalidArgument


def paginate(items, request, render) -> common_pb2.PaginatedResponse:
    start = request.start_index if request.HasField("start_index") else 0
    limit = request.limit if request.HasField("limit") else -1
    if start < 0:
        raise InvalidArgument("start_index", "must be 0 or more")
    if limit < -1:
        raise InvalidArgument("limit", "must be -1 (all) or more")
    end = len(items) if limit == -1 else start + limit
    response = common_pb2.PaginatedResponse(has_more=end < len(items))
    for item in items[start:end]:
        response.data.add().update(render(item))
    return response


class AgentsServicer:
    def __init__(self, service: AgentService):
        self._service = service

    async def CreateAgent(self, request, context):
        agent = await self._service.create_agent(request.agent_config)
        return pb.AgentCreateResponse(agent_id=agent.agent_id)

    async def ListAgents(self, request, context):
        return paginate(self._service.list_agents(), request, to_json)

    async def GetAgent(self, request, context):
        return self._service.get_agent(request.agent_id)

    async def DeleteAgent(self, request, context):
        await self._service.delete_agent(request.agent_id)
        return empty_pb2.Empty()

    async def CreateAgentSession(self, request, context):
        session = await self._service.create_session(request.agent_id, request.session_name)
        return pb.AgentSessionCreateResponse(session_id=session.session_id)

    async def GetAgentSession(self, request, context):
        return self._service.get_session(request.agent_id, request.session_id, list(request.turn_ids))

    async def DeleteAgentSession(self, request, context):
        await self._service.delete_session(request.agent_id, request.session_id)
        return empty_pb2.Empty()

    async def ListAgentSessions(self, request, context):
        return paginate(self._service.list_sessions(request.agent_id), request, to_json)

    def CreateAgentTurn(self, request, context):
        return self._service.create_turn(request)

    def ResumeAgentTurn(self, request, context):
        return self._service.resume_turn(request)

    async def GetAgentTurn(self, request, context):
        return self._service.get_turn(request.agent_id, request.session_id, request.turn_id)

    async def GetAgentStep(self, request, context):
        return pb.AgentStepResponse(step=self._service.get_step(
            request.agent_id, request.session_id, request.turn_id, request.step_id))


class DraftAgentsServicer:
    def __init__(self, execution: DraftAgentExecution, memories: DraftMemories):
        self._execution = execution
        self._memories = memories

    async def ExecuteAgent(self, request, context):
        return await self._execution.execute(request)

    async def FetchMemories(self, request, context):
        return await self._memories.fetch(request)
