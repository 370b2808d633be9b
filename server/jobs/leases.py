"""Which replica runs a job, when several share one store (server/storage, `shared`).

A replica holds a lease on each job it has launched (queued there or running), renews
it while it holds the job, and gives it up when the job ends. A lease that is not
renewed in time (its replica died) expires, and another replica takes the job over as a
restart would. A cancel asked of a replica that does not run the job is left here as a
request, which the holder's renewal picks up. On a store that is not shared there is one
process: a lease that is not its own is stale by definition.

    job_leases   <job id> -> {"owner", "expires"} JSON
    job_cancels  <job id> -> b""
"""
from __future__ import annotations

import json
from collections.abc import Iterable

from server.storage.kv import Transaction

LEASES, CANCELS = "job_leases", "job_cancels"
TABLES = (LEASES, CANCELS)


def claim(txn: Transaction, job_id: str, owner: str, expires: float, now: float, *, shared: bool) -> bool:
    """Take (or keep) the job's lease until `expires`, unless another owner holds a live one."""
    held = txn.get(LEASES, job_id.encode())
    if held is not None and shared:
        lease = json.loads(held)
        if lease["owner"] != owner and lease["expires"] > now:
            return False
    txn.put(LEASES, job_id.encode(), json.dumps({"owner": owner, "expires": expires}).encode())
    return True


def renew(txn: Transaction, job_ids: Iterable[str], owner: str, expires: float) -> tuple[list[str], list[str]]:
    """Extend owner's leases; returns (jobs whose lease another replica has taken, jobs
    whose cancel was asked of another replica)."""
    lost, cancels = [], []
    for job_id in job_ids:
        held = txn.get(LEASES, job_id.encode())
        if held is not None and json.loads(held)["owner"] != owner:
            lost.append(job_id)
            continue
        txn.put(LEASES, job_id.encode(), json.dumps({"owner": owner, "expires": expires}).encode())
        if txn.get(CANCELS, job_id.encode()) is not None:
            cancels.append(job_id)
    return lost, cancels


def release(txn: Transaction, job_id: str) -> None:
    txn.delete(LEASES, job_id.encode())
    txn.delete(CANCELS, job_id.encode())


def expire(txn: Transaction, job_ids: Iterable[str], owner: str) -> None:
    """Let other replicas take these jobs at once (this one stops without finishing them)."""
    for job_id in job_ids:
        held = txn.get(LEASES, job_id.encode())
        if held is not None and json.loads(held)["owner"] == owner:
            txn.put(LEASES, job_id.encode(), json.dumps({"owner": owner, "expires": 0}).encode())


def request_cancel(txn: Transaction, job_id: str) -> None:
    txn.put(CANCELS, job_id.encode(), b"")
