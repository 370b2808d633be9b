"""The code interpreter sandbox (server/agents/sandbox.py): output, errors, limits, and
what the code must not reach (files outside its scratch folder, the network, processes).

The security tests run twice: with the isolation this machine supports (namespaces where
`unshare` works) and with the audit hook and limits alone (the fallback where it does
not), so the in-process layer is checked on its own too."""
from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import pytest

from server.agents import sandbox
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
    await asyncio.sleep(0.01)
    return sum(await asyncio.gather(*(asyncio.sleep(0, result=i) for i in range(4))))
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
    started = time.monotonic()
    result = await run_python("while True:\n    pass", SandboxLimits(timeout_s=1, cpu_s=30))
    assert result.timed_out
    assert result.exit_code != 0
    assert "timed out" in result.error
    assert time.monotonic() - started < 6


async def test_sleeping_code_times_out_too():
    result = await run_python("import time\nprint('start')\ntime.sleep(60)", SandboxLimits(timeout_s=1))
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
