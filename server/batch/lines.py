"""Running a batch job's lines: every line not yet done goes to `process` with `width`
lines in flight (their engine requests meet in the engine's continuous batching, within
the background budget), and each finished line's output is stored with the progress that
counts it in one transaction. A resumed job skips the lines already stored, so no line is
done twice. The success and error files (JSONL, in the job's work dir) are rewritten
from the store, in input order, when the job ends, is cancelled, or resumes; in between
each line is appended as soon as it is stored."""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any

from server import errors
from server.batch.inputs import InputLine
from server.jobs import JobContext, JobRunner

log = logging.getLogger(__name__)

INPUT, SUCCESS, ERROR = "input", "success", "error"
FILES = {SUCCESS: "success.jsonl", ERROR: "errors.jsonl"}
DEFAULT_PAGE, MAX_PAGE = 100, 1000

_HTTP = {errors.InvalidArgument: 400, errors.NotFound: 404, errors.AlreadyExists: 409,
         errors.FailedPrecondition: 400, errors.ResourceExhausted: 429, errors.Unavailable: 503}


def output_path(runner: JobRunner, job_id: str, stream: str) -> Path:
    return runner.work_dir(job_id) / FILES[stream]


def error_line(line: InputLine, status: int, detail: str) -> dict[str, Any]:
    """A line of the error file: the input line's ids and the Error body."""
    return {"custom_id": line.custom_id, "index": line.index,
            "error": {"status": status, "title": HTTPStatus(status).phrase, "detail": detail}}


async def run_lines(ctx: JobContext, process: Callable[[InputLine], Awaitable[list[dict]]],
                    width: int) -> dict[str, int]:
    """process(line) answers the line's success lines (maybe none); a ServiceError it
    raises makes the line an error line."""
    lines = [InputLine.from_bytes(value) for _, value in ctx.rows(INPUT)]
    done, failed = ctx.row_indices(SUCCESS), ctx.row_indices(ERROR)
    counts = {"lines_total": len(lines), "lines_done": len(done | failed), "lines_failed": len(failed)}
    await _rewrite_files(ctx)
    await ctx.report(**counts)
    if ctx.resumed:
        await ctx.log(f"resumed: {counts['lines_done']} of {len(lines)} line(s) already done")
    pending = iter([line for line in lines if line.index not in done | failed])
    appenders = {stream: open(ctx.work_dir / name, "a", encoding="utf-8") for stream, name in FILES.items()}  # noqa: SIM115

    async def outcome(line: InputLine) -> tuple[str, list[dict]]:
        if line.error is not None:
            return ERROR, [error_line(line, 400, line.error)]
        try:
            return SUCCESS, await process(line)
        except errors.ServiceError as exc:
            return ERROR, [error_line(line, _HTTP.get(type(exc), 500), exc.message)]
        except Exception as exc:  # noqa: BLE001 - a bug fails its line, not the whole batch
            log.exception("batch job %s: line %d failed", ctx.job_id, line.index)
            return ERROR, [error_line(line, 500, f"internal error: {type(exc).__name__}: {exc}")]

    async def worker() -> None:
        for line in pending:  # one shared iterator: each line is taken by one worker
            stream, outputs = await outcome(line)
            payload = "".join(json.dumps(output) + "\n" for output in outputs)
            counts["lines_done"] += 1
            counts["lines_failed"] += stream == ERROR
            await ctx.put_rows(stream, {line.index: payload.encode()}, **counts)
            appenders[stream].write(payload)
            appenders[stream].flush()

    workers = [asyncio.create_task(worker()) for _ in range(max(1, width))]
    everything = asyncio.gather(*workers)
    cancelled = asyncio.create_task(ctx.wait_cancelled())
    try:
        await asyncio.wait([everything, cancelled], return_when=asyncio.FIRST_COMPLETED)
        if everything.done() and everything.exception() is not None:
            raise everything.exception()  # a line's output could not be stored: the job fails
    finally:
        cancelled.cancel()
        everything.cancel()  # and with it every worker (their engine requests are aborted)
        await asyncio.gather(*workers, return_exceptions=True)
        for appender in appenders.values():
            appender.close()
    await ctx.report(**counts)  # queued after every line's write: once it is durable, they all are
    await _rewrite_files(ctx)
    ctx.check_cancelled()
    return counts


async def _rewrite_files(ctx: JobContext) -> None:
    """The success and error files, exactly the stored lines in input order."""
    def rewrite() -> None:
        for stream, name in FILES.items():
            target = ctx.work_dir / name
            partial = target.with_suffix(".partial")
            with open(partial, "wb") as out:
                start = 0
                while page := ctx.rows(stream, start, 1000):
                    for _, payload in page:
                        out.write(payload)
                    start = page[-1][0] + 1
            os.replace(partial, target)

    await asyncio.to_thread(rewrite)


def page(runner: JobRunner, job_id: str, stream: str, page_size: int | None,
         page_token: str | None) -> tuple[list[dict], str | None]:
    """A page of a job's output lines (of at most page_size input lines), in input order,
    and the token of the next page (None on the last)."""
    size = DEFAULT_PAGE if page_size is None else page_size
    if not 1 <= size <= MAX_PAGE:
        raise errors.InvalidArgument("page_size", f"must be between 1 and {MAX_PAGE}, got {size}")
    start = 0
    if page_token:
        with contextlib.suppress(ValueError):
            start = int(page_token)
        if str(start) != page_token or start < 0:
            raise errors.InvalidArgument("page_token", f"is not a token this API gave: {page_token!r}")
    rows = runner.rows(job_id, stream, start, size + 1)
    following = str(rows[size][0]) if len(rows) > size else None
    lines = [json.loads(text) for _, payload in rows[:size] for text in payload.decode().splitlines()]
    return lines, following
