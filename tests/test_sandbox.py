"""The code interpreter sandbox (server/agents/sandbox.py): output, errors, limits, and
what the code must not reach (files outside its scratch folder, the network, processes).

The security tests run twice: with the isolation this machine supports (namespaces where
`unshare` works) and with the audit hook and limits alone (the fallback where it does
not), so the in-process layer is checked on its own too."""
from __future__ import annotations

import dis
import fcntl
import json
import os
import resource
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from server.agents import sandbox, sandbox_child
from server.agents.sandbox import SandboxLimits, SandboxResult, run_python

QUICK = SandboxLimits(timeout_s=10, cpu_s=10)


@pytest.fixture(params=["probed", "hook-only"])
def isolation(request, monkeypatch):
    """Run a test with the probed isolation, and again without any namespace."""
    if request.param == "hook-only":
        monkeypatch.setattr(sandbox, "_ISOLATION", ([], False))
    return request.param


def output(result: SandboxResult) -> str:
    return result.stdout + result.stderr


# ================================================================ running code


async def test_prints_and_computes():
    result = await run_python("import math\nprint(sum(range(10)), math.factorial(5))\nprint('done')", QUICK)
    assert result == SandboxResult(stdout="45 120\ndone\n", stderr="", exit_code=0, timed_out=False,
                                   truncated=False, error=None)


async def test_exception_shows_in_stderr_with_nonzero_exit():
    result = await run_python("print('before')\nraise ValueError('boom')", QUICK)
    assert result.stdout == "before\n"
    assert result.exit_code == 1
    assert "ValueError: boom" in result.stderr
    assert 'File "main.py", line 2' in result.stderr
    assert not result.timed_out and result.error is None


async def test_syntax_error_and_exit_codes():
    bad = await run_python("def f(:\n  pass", QUICK)
    assert bad.exit_code == 1 and "SyntaxError" in bad.stderr
    assert (await run_python("import sys; sys.exit(3)", QUICK)).exit_code == 3
    assert (await run_python("import sys; sys.exit()", QUICK)).exit_code == 0
    message = await run_python("raise SystemExit('bye')", QUICK)
    assert message.exit_code == 1 and message.stderr == "bye\n"


async def test_stdlib_pathlib_asyncio_and_threads_work():
    code = """
import asyncio, threading, json
from pathlib import Path
async def main():
    await asyncio.sleep(0.01)  # sandboxed code: asyncio's timers work there (no test waits on it)
    return sum(await asyncio.gather(*(asyncio.sleep(0, result=i) for i in range(4))))  # sandboxed code
box = []
thread = threading.Thread(target=lambda: box.append('thread'))
thread.start(); thread.join()
Path('data.json').write_text(json.dumps({'n': asyncio.run(main())}))
print(json.loads(Path('data.json').read_text())['n'], box[0], sorted(p.name for p in Path('.').iterdir()))
"""
    result = await run_python(code, QUICK)
    assert result.stdout == "6 thread ['data.json', 'main.py']\n", result.stderr
    assert result.exit_code == 0


# ================================================================ limits


async def test_infinite_loop_times_out():
    result = await run_python("while True:\n    pass", SandboxLimits(timeout_s=1, cpu_s=30))
    assert result.timed_out
    assert result.exit_code != 0
    assert "timed out" in result.error  # the wall-clock limit, not the 30 s CPU limit, ended it


async def test_sleeping_code_times_out_too():
    # The sandboxed code sleeps (a process that uses no CPU); the test waits on run_python only.
    result = await run_python("import time\nprint('start')\ntime.sleep(60)", SandboxLimits(timeout_s=1))  # sandboxed
    assert result.timed_out and result.stdout == "start\n"  # output before the kill is kept


async def test_cpu_limit():
    result = await run_python("while True:\n    pass", SandboxLimits(timeout_s=20, cpu_s=1))
    assert not result.timed_out
    assert result.exit_code != 0
    assert "CPU" in result.error


async def test_memory_bomb_fails_without_hurting_the_parent():
    bomb = "chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 1024 * 1024))"
    result = await run_python(bomb, SandboxLimits(timeout_s=10, memory_mb=256))
    assert result.exit_code != 0
    assert not result.timed_out
    assert "MemoryError" in result.stderr or result.error
    big = await run_python("x = bytearray(1 << 40)", SandboxLimits(memory_mb=256))
    assert big.exit_code != 0 and "MemoryError" in big.stderr
    after = await run_python("print('still fine')", QUICK)  # the parent goes on as before
    assert after.stdout == "still fine\n"


async def test_huge_output_is_truncated():
    limits = SandboxLimits(max_output_bytes=1000)
    result = await run_python("print('x' * 1_000_000)\nprint('end')", limits)
    assert result.truncated
    assert result.stdout == "x" * 1000
    assert result.exit_code == 0  # drained, not killed
    flood = await run_python("while True:\n    print('y' * 4096)", SandboxLimits(max_output_bytes=1000, timeout_s=20))
    assert flood.truncated and not flood.timed_out
    assert len(flood.stdout) == 1000
    assert "output exceeded" in flood.error


async def test_file_size_limit():
    code = """
try:
    with open('big.bin', 'wb') as f:
        f.write(b'0' * (3 * 1024 * 1024))
except OSError as error:
    print('refused', error.errno)
"""
    result = await run_python(code, SandboxLimits(max_file_mb=1))
    assert result.stdout.startswith("refused"), output(result)


# ================================================================ what the code must not reach


async def test_forbidden_folder_cannot_be_read(isolation, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "secret.txt").write_text("secret-7f3a9")
    code = f"""
import os
from pathlib import Path
attempts = {{
    'open': lambda: open({str(data / 'secret.txt')!r}).read(),
    'pathlib': lambda: Path({str(data)!r}, 'secret.txt').read_text(),
    'listdir': lambda: os.listdir({str(data)!r}),
    'relative': lambda: open(os.path.relpath({str(data / 'secret.txt')!r})).read(),
    'os.open': lambda: os.read(os.open({str(data / 'secret.txt')!r}, os.O_RDONLY), 100),
    'dir fd': lambda: os.open({str(data)!r}, os.O_RDONLY),
    'rename': lambda: os.rename({str(data / 'secret.txt')!r}, 'stolen.txt'),
}}
for name, attempt in attempts.items():
    try:
        print(name, 'GOT', attempt())
    except PermissionError as error:
        print(name, 'refused')
"""
    result = await run_python(code, QUICK, forbidden_paths=[data])
    assert "secret-7f3a9" not in output(result)
    assert result.stdout.count("refused") == 7, output(result)
    assert (data / "secret.txt").read_text() == "secret-7f3a9"


async def test_forbidden_path_inside_an_allowed_prefix(isolation):
    json_folder = Path(json.__file__).resolve().parent  # in the standard library: readable by default
    code = f"""
import os
print(len(open(os.__file__).read()) > 0)
try:
    open({str(json_folder / '__init__.py')!r}).read()
except PermissionError:
    print('refused')
"""
    result = await run_python(code, QUICK, forbidden_paths=[json_folder])
    assert result.stdout == "True\nrefused\n", output(result)


async def test_etc_passwd_cannot_be_read(isolation):
    code = """
for attempt in ("open('/etc/passwd').read()", "__import__('pwd').getpwall()", "__import__('os').listdir('/etc')",
                "open('/proc/self/root/etc/passwd').read()", "open('../../etc/passwd').read()"):
    try:
        print('GOT', eval(attempt))
    except (PermissionError, ImportError):
        print('refused')
"""
    result = await run_python(code, QUICK)
    assert "root:" not in output(result)
    assert result.stdout == "refused\n" * 5, output(result)


async def test_no_network(isolation):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.3)
    port = listener.getsockname()[1]
    code = f"""
import socket
try:
    s = socket.socket()
    s.connect(('127.0.0.1', {port}))
    print('CONNECTED')
except PermissionError:
    print('refused')
try:
    socket.create_connection(('127.0.0.1', {port}), timeout=1)
    print('CONNECTED')
except PermissionError:
    print('refused')
try:
    socket.getaddrinfo('localhost', 80)
except PermissionError:
    print('refused')
"""
    try:
        result = await run_python(code, QUICK)
        assert result.stdout == "refused\n" * 3, output(result)
        with pytest.raises(socket.timeout):
            listener.accept()  # nothing ever connected
    finally:
        listener.close()


async def test_no_processes(isolation):
    code = """
import os
attempts = {
    'subprocess': lambda: __import__('subprocess').run(['ls']),
    'system': lambda: os.system('ls'),
    'exec': lambda: os.execv('/bin/ls', ['ls']),
    'fork': lambda: os.fork(),
    'spawn': lambda: os.posix_spawn('/bin/ls', ['ls'], {}),
    'kill': lambda: os.kill(os.getppid(), 9),
    'ctypes': lambda: __import__('ctypes'),
}
for name, attempt in attempts.items():
    try:
        attempt()
        print(name, 'RAN')
    except (PermissionError, ImportError):
        print(name, 'refused')
"""
    result = await run_python(code, QUICK)
    assert result.stdout.count("refused") == 7, output(result)
    assert "main.py" not in result.stdout  # ls never listed the scratch folder


async def test_scratch_folder_read_write_and_removed_afterwards():
    code = """
import os, tempfile
with open('notes.txt', 'w') as f:
    f.write('hello')
os.mkdir('sub')
with open(os.path.join('sub', 'x.bin'), 'wb') as f:
    f.write(bytes(range(5)))
print(open('notes.txt').read(), list(open('sub/x.bin', 'rb').read()), sorted(os.listdir('.')))
print(os.getcwd() == os.environ['HOME'] == tempfile.gettempdir())
print(os.getcwd())
"""
    result = await run_python(code, QUICK)
    lines = result.stdout.splitlines()
    assert lines[:2] == ["hello [0, 1, 2, 3, 4] ['main.py', 'notes.txt', 'sub']", "True"], output(result)
    scratch = Path(lines[2])
    assert scratch.is_absolute() and not scratch.exists()


async def test_scratch_removed_after_a_timeout():
    result = await run_python("import os\nprint(os.getcwd())\nopen('f', 'w').write('x')\nwhile True: pass",
                              SandboxLimits(timeout_s=1))
    assert result.timed_out
    assert not Path(result.stdout.strip()).exists()


async def test_environment_is_not_inherited(monkeypatch):
    monkeypatch.setenv("SANDBOX_TEST_API_KEY", "sk-should-not-leak")
    result = await run_python("import os\nprint(sorted(os.environ))", QUICK)
    assert "SANDBOX_TEST_API_KEY" not in result.stdout
    assert "sk-should-not-leak" not in result.stdout


async def test_isolation_level_is_reported():
    assert await sandbox.isolation_level() in ("namespaces", "network", "none")
    if os.geteuid() == 0 and await sandbox.isolation_level() == "namespaces":
        result = await run_python("import os\nprint(os.getpid())", QUICK)
        assert result.stdout == "2\n"  # a fresh PID namespace: the bootstrap is its init


# ================================================================ other processes (the server's priority, affinity...)

# Each call that could reach another process, aimed at the stand-in server ({pid}, {pgid}), and
# the error the sandbox answers with: AttributeError where the call is removed (it raises no audit
# event), PermissionError where the hook refuses it, ImportError for ctypes (ptrace, ioprio_set,
# process_vm_writev, prctl: raw system calls).
OTHER_PROCESS_ATTEMPTS = {
    "setpriority": ("os.setpriority(os.PRIO_PROCESS, {pid}, 19)", "AttributeError"),
    "posix.setpriority": ("__import__('posix').setpriority(os.PRIO_PROCESS, {pid}, 19)", "AttributeError"),
    "sched_setaffinity": ("os.sched_setaffinity({pid}, {{0}})", "AttributeError"),
    "sched_setscheduler": ("os.sched_setscheduler({pid}, os.SCHED_IDLE, os.sched_param(0))", "AttributeError"),
    "sched_setparam": ("os.sched_setparam({pid}, os.sched_param(0))", "AttributeError"),
    "prlimit": ("resource.prlimit({pid}, resource.RLIMIT_NOFILE, (16, 16))", "PermissionError"),
    "kill": ("os.kill({pid}, signal.SIGUSR1)", "PermissionError"),
    "killpg": ("os.killpg({pgid}, signal.SIGUSR1)", "PermissionError"),
    "pidfd_open": ("os.pidfd_open({pid})", "AttributeError"),
    "pidfd_send_signal": ("signal.pidfd_send_signal(3, signal.SIGUSR1)", "AttributeError"),
    "F_SETOWN": ("fcntl.fcntl(a, fcntl.F_SETOWN, {pid})", "PermissionError"),
    "F_SETOWN_EX": ("fcntl.fcntl(a, 15, struct.pack('ii', 1, {pid}))", "PermissionError"),
    "F_SETSIG": ("fcntl.fcntl(a, fcntl.F_SETSIG, signal.SIGUSR1)", "PermissionError"),
    "FIOSETOWN": ("fcntl.ioctl(a, 0x8901, struct.pack('i', {pid}))", "PermissionError"),
    "oom_score_adj": ("open('/proc/{pid}/oom_score_adj', 'w').write('1000')", "PermissionError"),
    "cgroup": ("open('/proc/{pid}/cgroup').read()", "PermissionError"),
    "ctypes": ("__import__('ctypes').CDLL(None).syscall(251, 1, {pid}, 7 << 13)", "ImportError"),  # ioprio_set
    "clock_settime": ("time.clock_settime(time.CLOCK_REALTIME, time.time())", "AttributeError"),
    "setpgid": ("os.setpgid(0, {pgid})", "PermissionError"),  # EPERM: the sandbox is a session of its own
}

OTHER_PROCESS_CODE = """
import fcntl, importlib, os, resource, signal, socket, struct, sys, time
a, b = socket.socketpair()
for name, attempt in {attempts}.items():
    try:
        eval(attempt)
        print(name, 'DONE')
    except Exception as error:
        print(name, type(error).__name__)
fcntl.fcntl(a, fcntl.F_SETFL, fcntl.fcntl(a, fcntl.F_GETFL) | os.O_ASYNC)  # were an owner set: SIGIO now
b.send(b'x')
modules = []  # the removed calls do not come back with a reload or a fresh import
for name in ('posix', '_signal', 'time'):
    modules.append(importlib.reload(sys.modules[name]))
    del sys.modules[name]
    try:
        modules.append(importlib.import_module(name))
    except ImportError:
        pass
print('back', sorted(n for n in ('setpriority', 'sched_setaffinity', 'sched_setscheduler', 'sched_setparam',
                                 'pidfd_open', 'pidfd_send_signal', 'clock_settime')
                     if any(hasattr(m, n) for m in (os, *modules))))
print('nice', os.nice(0) >= 0)  # what stays acts on the sandbox itself
"""


@pytest.mark.parametrize("mode", ["probed", "hook-only"])
def test_calls_that_reach_another_process_leave_the_server_unchanged(mode):
    """A stand-in server runs code that tries every such call on it; its priority, affinity,
    scheduler, limits and OOM score stay as they were and it receives no signal, in every mode."""
    attempts = {name: code for name, (code, _) in OTHER_PROCESS_ATTEMPTS.items()}
    server = subprocess.run([sys.executable, str(Path(__file__).with_name("_sandbox_server.py")), mode],
                            input=OTHER_PROCESS_CODE.format(attempts=attempts), capture_output=True, text=True,
                            timeout=120, check=True)
    report = json.loads(server.stdout)
    lines = dict(line.split(" ", 1) for line in report["stdout"].splitlines())
    assert lines == {**{name: error for name, (_, error) in OTHER_PROCESS_ATTEMPTS.items()},
                     "back": "[]", "nice": "True"}, report["stderr"]
    assert report["after"] == report["before"]
    assert report["signals"] == []
    assert report["isolation"] == ("none" if mode == "hook-only" else report["isolation"])


# ================================================================ the child program's parts


def test_child_options_round_trip_and_refuse_unknown_or_missing():
    options = sandbox._child_options("/tmp/s=1", 5, SandboxLimits(memory_mb=300, cpu_s=4, max_file_mb=2),
                                     [Path("/a"), Path("/b c")])
    assert sandbox_child.parse_options(options) == {
        "scratch": "/tmp/s=1", "status_fd": 5, "forbidden": ["/a", "/b c"],
        "limits": {"memory_mb": 300, "cpu_s": 4, "max_file_mb": 2, "max_open_files": sandbox.MAX_OPEN_FILES}}
    with pytest.raises(ValueError, match="unknown option --colour"):
        sandbox_child.parse_options([*options, "--colour=red"])
    with pytest.raises(ValueError, match="missing --scratch, --cpu-s"):
        sandbox_child.parse_options([o for o in options if not o.startswith(("--scratch", "--cpu-s"))])


def test_rlimits_cap_each_limit_at_the_hard_limit():
    limits = {"memory_mb": 256, "cpu_s": 3, "max_file_mb": 1, "max_open_files": 1 << 40}
    pairs = dict(sandbox_child.rlimits(limits))
    assert pairs[resource.RLIMIT_AS] == (256 << 20, 256 << 20)
    assert pairs[resource.RLIMIT_FSIZE] == (1 << 20, 1 << 20)
    assert pairs[resource.RLIMIT_CORE] == (0, 0)
    nofile_hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    assert pairs[resource.RLIMIT_NOFILE] == (min(1 << 40, nofile_hard),) * 2
    cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    assert pairs[resource.RLIMIT_CPU] == ((3, 4) if cpu_hard == resource.RLIM_INFINITY else (3, min(4, cpu_hard)))


def _child_hook(tmp_path):
    roots, dynload, read_files, forbidden = sandbox_child.readable_places([])
    return sandbox_child.make_hook(
        sandbox_child.make_resolve(), sandbox_child.make_allowed(str(tmp_path), roots, read_files, forbidden),
        sandbox_child.make_shown(), sandbox_child.DENIED_MODULES, dynload, sandbox_child.__file__)


def test_hook_refuses_fcntl_signal_owners_and_allows_the_rest(tmp_path):
    hook = _child_hook(tmp_path)
    for command in (fcntl.F_SETOWN, fcntl.F_SETSIG, 15):  # 15: F_SETOWN_EX
        with pytest.raises(PermissionError, match="directs signals"):
            hook("fcntl.fcntl", (3, command, os.getpid()))
    for command in (fcntl.F_GETFL, fcntl.F_SETFL, fcntl.F_GETOWN, fcntl.F_SETLK):
        assert hook("fcntl.fcntl", (3, command, 0)) is None
    with pytest.raises(PermissionError):
        hook("resource.prlimit", (os.getpid(), resource.RLIMIT_NOFILE, None))
    with pytest.raises(PermissionError):
        hook("open", (f"/proc/{os.getpid()}/oom_score_adj", "w", os.O_WRONLY))
    assert hook("open", (str(tmp_path / "notes.txt"), "w", os.O_WRONLY)) is None


def test_hook_and_policy_read_nothing_but_their_own_arguments(tmp_path):
    """No global, no closure cell: code that reaches this module's globals or a frame cannot change
    what they do (their state is immutable default arguments)."""
    hook = _child_hook(tmp_path)
    functions = [hook, *(hook.__defaults__[hook.__code__.co_varnames.index(name) - 2]
                         for name in ("_resolve", "_allowed", "_shown"))]
    assert [f.__name__ for f in functions] == ["hook", "resolve", "allowed", "shown"]
    for function in functions:
        assert function.__closure__ is None, function.__name__
        loads = {i.opname for i in dis.get_instructions(function)}
        assert not loads & {"LOAD_GLOBAL", "LOAD_NAME", "LOAD_DEREF", "LOAD_CLASSDEREF"}, function.__name__


def test_hook_ends_the_process_if_finalization_starts_under_it(tmp_path):
    """Were the sandbox's os._exit skipped, the interpreter's finalization would drop the hook and
    then run finalizers (code) unaudited: the hook stops the process before that."""
    program = f"""
import sys
sys.path.insert(0, {str(Path(sandbox_child.__file__).parents[2])!r})
from server.agents import sandbox_child
from pathlib import Path
roots, dynload, read_files, forbidden = sandbox_child.readable_places([])
sys.addaudithook(sandbox_child.make_hook(
    sandbox_child.make_resolve(), sandbox_child.make_allowed({str(tmp_path)!r}, roots, read_files, forbidden),
    sandbox_child.make_shown(), sandbox_child.DENIED_MODULES, dynload, sandbox_child.__file__))
import os
class Late:
    def __del__(self, write=os.write, open=os.open):
        try:
            open('/etc/hostname', os.O_RDONLY)
            write(1, b'finalizer read /etc/hostname')
        except BaseException:
            write(1, b'finalizer refused')
late = Late()
late.cycle = late  # a cycle: collected late in finalization
print('end of the program', flush=True)
"""
    ended = subprocess.run([sys.executable, "-I", "-c", program], capture_output=True, text=True, timeout=60)
    assert ended.returncode == sandbox_child.EXIT_FINALIZING, ended.stderr
    assert ended.stdout.startswith("end of the program\n")
    assert "finalizer read" not in ended.stdout  # a finalizer ran under the hook, or never
    assert "stopped before finalization" in ended.stderr
