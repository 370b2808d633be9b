"""The code interpreter's sandbox: run a piece of Python in a separate, limited process.

What it does, in layers (outermost first):

1. A separate process: the same interpreter (``sys.executable``) running the child
   program ``sandbox_child.py`` by path, its configuration as arguments, with
   ``-I -S -B -u -X utf8``: isolated mode (no PYTHON* variables, no user site, no
   current directory on sys.path), no ``site`` (so only the standard library, none of
   the server's packages), no bytecode writing, unbuffered output. The environment is
   built from scratch (PATH, HOME, TMPDIR, locale): nothing of the server's environment
   (API keys, tokens) is inherited, and only stdin (/dev/null), stdout and stderr are
   open in it.
2. A fresh scratch folder (``tempfile.mkdtemp``) as cwd, HOME and TMPDIR, removed when
   the run ends, whatever the outcome.
3. Resource limits the child sets on itself first thing, before the audit hook (no
   ``preexec_fn``, which is unsafe in a threaded server): RLIMIT_AS (memory),
   RLIMIT_CPU (CPU seconds; SIGXCPU, then SIGKILL one second later), RLIMIT_FSIZE (largest
   file; a bigger write fails with EFBIG), RLIMIT_NOFILE and RLIMIT_CORE = 0. A wall-clock
   timeout kills the whole process group. Output is read as it comes and kept up to
   ``max_output_bytes`` per stream (``truncated`` says so); a process that keeps writing
   well past that (16 x the limit, at least 16 MiB) is killed rather than drained.
   RLIMIT_NPROC is not set: it counts every process and thread of the user id (the
   server's own threads included), and root ignores it; process creation is refused by
   the audit hook (5) and, where available, confined by the PID namespace (4).
4. Namespaces, probed once per process and cached (``unshare`` from util-linux):
   preferred ``unshare --user --map-root-user --net --pid --fork --kill-child``: a new
   network namespace with nothing but a down loopback (no network at all, an OS-level
   guarantee), a new PID namespace (the code cannot see or signal any process outside,
   the server included; the child program runs as its init and runs the code in a fork), and
   a user namespace (no real capabilities: no mknod, mount of host file systems...).
   Fallbacks: ``unshare --net --map-root-user``, or ``unshare --net`` as root, or, where
   none works (e.g. a container without user namespaces), no namespace at all.
5. An audit hook (``sys.addaudithook``; cannot be removed) installed by the child program
   before the user code runs. It raises PermissionError (which the code may catch) for:
   - network: creating any socket other than AF_UNIX (asyncio's self-pipe needs
     socketpair), connect, bind, sendto/sendmsg, DNS and host-name lookups;
   - processes: subprocess, os.system, os.exec*, os.posix_spawn, os.fork/forkpty,
     os.kill/killpg; ``_posixsubprocess`` is replaced by a stub (``import subprocess``
     works, running anything fails) and cannot be imported for real;
   - other processes, in every mode (what could reach the server where no PID namespace
     hides it): os.kill/killpg and resource.prlimit (any pid, reading too) are refused;
     fcntl F_SETOWN/F_SETOWN_EX/F_SETSIG (which aim an O_ASYNC descriptor's SIGIO at a
     pid) are refused; os.setpriority, os.sched_setaffinity, os.sched_setscheduler,
     os.sched_setparam, os.pidfd_open, signal.pidfd_send_signal and time.clock_settime(_ns)
     raise no audit event and are removed; ptrace, process_vm_writev, ioprio_set, prctl
     and other raw system calls need ctypes (refused); /proc/<pid>/ (oom_score_adj,
     autogroup, mem...) and /sys (cgroups) are outside the readable places; os.setpgid
     cannot join the server's process group (the sandbox is a session of its own); what
     stays (os.nice, getpriority, sched_getaffinity) acts on the sandbox itself or reads;
   - native code and interpreter internals: ctypes (every ctypes.* event, and importing
     it), extension modules from anywhere but the standard library's lib-dynload, a
     deny list of risky modules (sub-interpreters, _testcapi, sqlite3, ssl, pwd, grp,
     spwd, syslog, shared memory...), creating a sub-interpreter, building code objects
     (``code.__new__``/``replace``) or loading them with marshal (the child makes the
     import system compile the standard library from source, so it never needs
     marshal), gc.get_objects/get_referrers/get_referents, raising resource limits,
     fcntl.ioctl, and changing the ``__code__``/``__defaults__`` of the sandbox's own
     functions; built-in modules cannot be loaded afresh (``_imp.create_builtin``, which
     raises no audit event, is taken away after the allowed ones are loaded);
   - the file system: opening a path, listing a folder, and mkdir/rmdir/remove/rename/
     chmod/utime/truncate/xattr, unless the path (symlinks resolved) is inside the
     scratch folder, or, for reading only, a regular file under the standard library's
     folders (sys.path at start-up), /usr/share/zoneinfo, /etc/localtime, the MIME
     tables mimetypes reads (/etc/mime.types...), /dev/null, /dev/zero, /dev/urandom or
     the interpreter binary. ``forbidden_paths`` are refused even where they fall under
     one of those. chdir, symlinks, hard links and chown are refused; opening a folder as
     a file descriptor is refused (the ``open`` audit event does not carry ``dir_fd=``,
     so a folder fd would let relative opens resolve where the hook cannot see; listing
     folders works); device nodes in the scratch folder are
     refused. Paths must be str or bytes (a PathLike is converted once by wrappers the
     child puts on open() and the os functions, so pathlib works; the hook itself
     never calls back into user objects).
   A refused import raises ImportError rather than PermissionError, so code with an
   optional dependency (asyncio's ``try: import ssl``) still works.
   The hook keeps all its state in immutable default arguments and calls only built-in
   functions captured at start-up, so monkeypatching modules cannot change what it does.
   The child ends the process with os._exit after the code (and atexit handlers) ran, so
   no code runs after the interpreter would clear the hooks at finalization; should that
   exit be skipped (a signal handler raising at the wrong moment), the hook itself ends
   the process when finalization begins to clear it.

What it does NOT guarantee:

- File-system and process confinement rest on the audit hook, inside the same
  interpreter as the code. CPython documents audit hooks as a monitoring tool, not a
  security boundary: a memory-safety bug in the interpreter or a C extension of the
  standard library that gives arbitrary memory access would defeat it (the known easy
  routes, ctypes, crafted bytecode and sub-interpreters, are closed). Only the network
  namespace, the PID namespace and the resource limits are enforced by the kernel.
  For hostile code, run the server itself in a container or VM (gVisor, Firecracker,
  nsjail) and mount nothing secret into it.
- Without namespaces (where ``unshare`` fails), the network and process-signalling
  protections are only the audit hook's. The unaudited calls that reach outside
  (listed in 5) are removed from the modules, and built-in modules cannot be loaded
  afresh to get them back, but that too is in-process.
- Metadata is not hidden: os.stat/os.path.exists/os.readlink of any path work, so the
  code can learn whether a path exists, its size and times (not its contents).
- Disk use: RLIMIT_FSIZE bounds each file, not their number; the scratch folder can fill
  the temp file system within the time limit. It is removed after the run.
- The CPU limit counts CPU seconds of the process; the memory limit is address space
  (not resident memory). Threads inside the sandbox are allowed.
- The standard library only (no numpy/pandas); stdlib modules are compiled from source
  on import (adds ~0.1-0.4 s to a run that imports a lot).
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import stat
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass
class SandboxResult:
    stdout: str
    stderr: str
    exit_code: int | None  # the process's exit status, negative for a signal; None if it never started
    timed_out: bool
    truncated: bool
    error: str | None  # what the sandbox did or saw (timeout, limit, crash, start failure); None otherwise


@dataclass
class SandboxLimits:
    timeout_s: float = 10
    memory_mb: int = 512
    max_output_bytes: int = 64_000
    cpu_s: int = 10
    max_file_mb: int = 16


MAX_OPEN_FILES = 64
CHILD_PROGRAM = Path(__file__).resolve().with_name("sandbox_child.py")  # run by path, see its docstring
_DRAIN_FACTOR, _DRAIN_MIN = 16, 16 << 20  # output past max(limit * 16, 16 MiB) per stream: killed

# (prefix argv, uses a PID namespace), probed once per process; tests may set it.
_ISOLATION: tuple[list[str], bool] | None = None

# ---------------------------------------------------------------- isolation probe


async def _probe_isolation() -> tuple[list[str], bool]:
    unshare = shutil.which("unshare") or next((p for p in ("/usr/bin/unshare", "/bin/unshare")
                                               if os.path.exists(p)), None)
    if not unshare or not sys.platform.startswith("linux"):
        return [], False
    candidates = [([unshare, "--user", "--map-root-user", "--net", "--pid", "--fork", "--kill-child"], True),
                  ([unshare, "--net", "--map-root-user"], False)]
    if os.geteuid() == 0:
        candidates.append(([unshare, "--net"], False))
    check = "import os, sys; sys.exit(0 if os.getpid() == 1 else 3)"
    for prefix, pid_namespace in candidates:
        process = None
        try:
            process = await asyncio.create_subprocess_exec(
                *prefix, sys.executable, "-I", "-S", "-c", check if pid_namespace else "pass",
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin"})
            if await asyncio.wait_for(process.wait(), 10) == 0:
                return prefix, pid_namespace
        except (TimeoutError, OSError):
            if process is not None and process.returncode is None:
                process.kill()
                await process.wait()
    return [], False


async def _isolation() -> tuple[list[str], bool]:
    global _ISOLATION
    if _ISOLATION is None:
        _ISOLATION = await _probe_isolation()
    return _ISOLATION


async def isolation_level() -> str:
    """'namespaces' (user + network + PID), 'network' (network namespace only) or 'none'
    (audit hook and limits only): what run_python uses on this machine."""
    prefix, pid_namespace = await _isolation()
    return "namespaces" if pid_namespace else ("network" if prefix else "none")


# ---------------------------------------------------------------- running


def _child_options(scratch: str, status_fd: int, limits: SandboxLimits, forbidden_paths: Sequence[Path]) -> list[str]:
    """The child program's configuration, as its `--name=value` arguments."""
    return [f"--scratch={scratch}", f"--status-fd={status_fd}", f"--memory-mb={int(limits.memory_mb)}",
            f"--cpu-s={int(limits.cpu_s)}", f"--max-file-mb={int(limits.max_file_mb)}",
            f"--max-open-files={MAX_OPEN_FILES}", *(f"--forbidden={p}" for p in forbidden_paths)]


def _remove_tree(path: str) -> None:
    def fix(function, failed, _info):
        try:
            os.chmod(os.path.dirname(failed), stat.S_IRWXU)
            if os.path.isdir(failed) and not os.path.islink(failed):
                os.chmod(failed, stat.S_IRWXU)
            function(failed)
        except OSError:
            pass

    shutil.rmtree(path, onerror=fix)
    if os.path.exists(path):
        shutil.rmtree(path, ignore_errors=True)


def _describe_signal(number: int, limits: SandboxLimits) -> str:
    try:
        name = signal.Signals(number).name
    except ValueError:
        name = f"signal {number}"
    if number == signal.SIGXCPU:
        return f"CPU time limit of {limits.cpu_s} s exceeded ({name})"
    if number == signal.SIGKILL:
        return f"killed ({name}): the CPU time limit of {limits.cpu_s} s, or the machine ran out of memory"
    if number == signal.SIGXFSZ:
        return f"file size limit of {limits.max_file_mb} MB exceeded ({name})"
    return f"killed by {name}"


async def run_python(code: str, limits: SandboxLimits | None = None,
                     forbidden_paths: Sequence[Path] = ()) -> SandboxResult:
    """Run `code` in the sandbox described in the module docstring and return what it printed."""
    limits = limits or SandboxLimits()
    prefix, pid_namespace = await _isolation()
    scratch = os.path.realpath(tempfile.mkdtemp(prefix="sandbox-"))
    status_read = status_write = -1
    process = None
    try:
        with open(os.path.join(scratch, "main.py"), "w", encoding="utf-8", errors="surrogatepass") as f:
            f.write(code)
        if pid_namespace:
            status_read, status_write = os.pipe()
        argv = [*prefix, sys.executable, "-I", "-S", "-B", "-u", "-X", "utf8",
                "-X", f"pycache_prefix={scratch}/.no-pycache", str(CHILD_PROGRAM), *_child_options(
                    scratch, status_write, limits, forbidden_paths)]
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": scratch, "TMPDIR": scratch, "LANG": "C.UTF-8",
               "LC_ALL": "C.UTF-8", "USER": "sandbox", "LOGNAME": "sandbox"}
        try:
            process = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, cwd=scratch, env=env, start_new_session=True,
                pass_fds=(status_write,) if status_write >= 0 else ())
        except OSError as exc:
            return SandboxResult("", "", None, False, False, f"could not start the sandbox: {exc}")
        finally:
            if status_write >= 0:
                os.close(status_write)
                status_write = -1
        return await _supervise(process, limits, status_read)
    finally:
        if process is not None and process.returncode is None:
            _kill_group(process)
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(process.wait(), 5)
        for fd in (status_read, status_write):
            if fd >= 0:
                os.close(fd)
        try:
            await asyncio.to_thread(_remove_tree, scratch)
        except asyncio.CancelledError:
            _remove_tree(scratch)
            raise


def _kill_group(process) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            process.kill()


async def _supervise(process, limits: SandboxLimits, status_read: int) -> SandboxResult:
    keep = max(0, int(limits.max_output_bytes))
    hard_cap = max(keep * _DRAIN_FACTOR, _DRAIN_MIN)
    state = {"truncated": False, "flooded": False}

    async def pump(stream) -> bytes:
        kept, total = bytearray(), 0
        while True:
            chunk = await stream.read(1 << 16)
            if not chunk:
                return bytes(kept)
            total += len(chunk)
            room = keep - len(kept)
            if room > 0:
                kept += chunk[:room]
            if total > keep:
                state["truncated"] = True
            if total > hard_cap and not state["flooded"]:
                state["flooded"] = True
                _kill_group(process)

    readers = [asyncio.create_task(pump(process.stdout)), asyncio.create_task(pump(process.stderr))]
    timed_out = False
    try:
        try:
            await asyncio.wait_for(process.wait(), max(0.1, float(limits.timeout_s)))
        except TimeoutError:
            timed_out = True
            _kill_group(process)
            await process.wait()
        await asyncio.wait(readers, timeout=5)
    finally:
        for reader in readers:
            if not reader.done():
                reader.cancel()
    stdout, stderr = (r.result() if r.done() and not r.cancelled() and r.exception() is None else b""
                      for r in readers)

    exit_code = process.returncode
    reported_signal = None
    if status_read >= 0:
        os.set_blocking(status_read, False)
        try:
            report = os.read(status_read, 64).decode("ascii", "replace").split()
        except (BlockingIOError, OSError):
            report = []
        if len(report) == 2 and report[1].lstrip("-").isdigit():
            exit_code = int(report[1]) if report[0] == "exit" else -int(report[1])
            if report[0] == "signal":
                reported_signal = int(report[1])

    error = None
    if timed_out:
        error = f"timed out after {limits.timeout_s:g} s (wall clock); the process was killed"
    elif state["flooded"]:
        error = f"output exceeded {hard_cap} bytes; the process was killed"
    elif reported_signal is not None or (exit_code is not None and exit_code < 0):
        error = _describe_signal(reported_signal or -exit_code, limits)
    return SandboxResult(stdout=stdout.decode("utf-8", "replace"), stderr=stderr.decode("utf-8", "replace"),
                         exit_code=exit_code, timed_out=timed_out, truncated=state["truncated"], error=error)
