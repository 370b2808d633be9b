"""The code interpreter's sandbox: run a piece of Python in a separate, limited process.

What it does, in layers (outermost first):

1. A separate process: the same interpreter (``sys.executable``) started with
   ``-I -S -B -u -X utf8``: isolated mode (no PYTHON* variables, no user site, no
   current directory on sys.path), no ``site`` (so only the standard library, none of
   the server's packages), no bytecode writing, unbuffered output. The environment is
   built from scratch (PATH, HOME, TMPDIR, locale): nothing of the server's environment
   (API keys, tokens) is inherited, and only stdin (/dev/null), stdout and stderr are
   open in it.
2. A fresh scratch folder (``tempfile.mkdtemp``) as cwd, HOME and TMPDIR, removed when
   the run ends, whatever the outcome.
3. Resource limits set with ``resource.setrlimit`` in ``preexec_fn``: RLIMIT_AS (memory),
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
   the server included; the bootstrap runs as its init and runs the code in a child), and
   a user namespace (no real capabilities: no mknod, mount of host file systems...).
   Fallbacks: ``unshare --net --map-root-user``, or ``unshare --net`` as root, or, where
   none works (e.g. a container without user namespaces), no namespace at all.
5. An audit hook (``sys.addaudithook``; cannot be removed) installed by a bootstrap
   before the user code runs. It raises PermissionError (which the code may catch) for:
   - network: creating any socket other than AF_UNIX (asyncio's self-pipe needs
     socketpair), connect, bind, sendto/sendmsg, DNS and host-name lookups;
   - processes: subprocess, os.system, os.exec*, os.posix_spawn, os.fork/forkpty,
     os.kill/killpg; ``_posixsubprocess`` is replaced by a stub (``import subprocess``
     works, running anything fails) and cannot be imported for real;
   - native code and interpreter internals: ctypes (every ctypes.* event, and importing
     it), extension modules from anywhere but the standard library's lib-dynload, a
     deny list of risky modules (sub-interpreters, _testcapi, sqlite3, ssl, pwd, grp,
     spwd, syslog, shared memory...), creating a sub-interpreter, building code objects
     (``code.__new__``/``replace``) or loading them with marshal (the bootstrap makes the
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
     one of those. chdir, symlinks, hard links and chown are refused; opening a folder as a file descriptor is refused (the ``open`` audit event
     does not carry ``dir_fd=``, so a folder fd would let relative opens resolve where the
     hook cannot see; listing folders works); device nodes in the scratch folder are
     refused. Paths must be str or bytes (a PathLike is converted once by wrappers the
     bootstrap puts on open() and the os functions, so pathlib works; the hook itself
     never calls back into user objects).
   A refused import raises ImportError rather than PermissionError, so code with an
   optional dependency (asyncio's ``try: import ssl``) still works.
   The hook keeps all its state in immutable default arguments and calls only built-in
   functions captured at start-up, so monkeypatching modules cannot change what it does.
   The bootstrap ends the process with os._exit after the code (and atexit handlers)
   ran, so no code runs after the interpreter would clear the hooks at finalization.

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
  (os.mknod, os.mkfifo, os.chroot, os.pidfd_open, signal.pidfd_send_signal) are removed
  from the modules, and built-in modules cannot be loaded afresh to get them back, but
  that too is in-process.
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
import os
import resource
import shutil
import signal
import stat
import sys
import tempfile
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
_DRAIN_FACTOR, _DRAIN_MIN = 16, 16 << 20  # output past max(limit * 16, 16 MiB) per stream: killed

# (prefix argv, uses a PID namespace), probed once per process; tests may set it.
_ISOLATION: tuple[list[str], bool] | None = None

# Modules the sandboxed code may not import (any dotted component matches).
_DENIED_MODULES = (
    "_ctypes", "ctypes", "_ctypes_test", "_posixsubprocess", "_xxsubinterpreters", "_xxinterpchannels",
    "_testcapi", "_testinternalcapi", "_testbuffer", "_testmultiphase", "_testimportmultiple", "_testclinic",
    "_testsinglephase", "_xxtestfuzz", "xxlimited", "xxlimited_35", "xxsubtype", "_posixshmem",
    "_multiprocessing", "_sqlite3", "sqlite3", "_ssl", "spwd", "nis", "syslog", "readline", "_curses",
    "_curses_panel", "_tkinter", "ossaudiodev", "pwd", "grp", "_crypt",
)

# The bootstrap: argv[1] scratch folder, argv[2] status fd (-1: none), argv[3:] forbidden
# paths. It reads main.py from the scratch folder, sets up, installs the hook, runs it.
_BOOTSTRAP = r'''
import sys, os

def _sandbox_main():
    import _imp, _signal, atexit, builtins, io
    _exit = os._exit
    scratch, status_fd, forbidden = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    _signal.signal(_signal.SIGXFSZ, _signal.SIG_IGN)  # a too-big write fails with EFBIG instead

    if os.getpid() == 1:  # init of a fresh PID namespace: run the code in a child, report its end
        child = os.fork()
        if child:
            code, report = 1, b""
            while True:
                try:
                    pid, status = os.waitpid(-1, 0)
                except ChildProcessError:
                    break
                if pid == child:
                    code = os.waitstatus_to_exitcode(status)
                    report = (b"signal %d" % -code) if code < 0 else (b"exit %d" % code)
                    code = 128 - code if code < 0 else code
                    break
            if status_fd >= 0:
                os.write(status_fd, report)
            _exit(code)
    if status_fd >= 0:
        os.close(status_fd)

    with open(scratch + "/main.py", "rb") as f:
        source = f.read()

    realpath = os.path.realpath
    roots, dynload = [], []
    for entry in sys.path:
        if os.path.isdir(entry):
            roots.append(realpath(entry))
            if entry.rstrip("/").endswith("lib-dynload"):
                dynload.append(realpath(entry))
    if os.path.isdir("/usr/share/zoneinfo"):
        roots.append(realpath("/usr/share/zoneinfo"))
    public = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/etc/localtime", sys.executable,
              # mimetypes.knownfiles: public MIME tables mimetypes.init() reads
              "/etc/mime.types", "/etc/httpd/mime.types", "/etc/httpd/conf/mime.types", "/etc/apache/mime.types",
              "/etc/apache2/mime.types", "/usr/local/etc/httpd/conf/mime.types",
              "/usr/local/lib/netscape/mime.types", "/usr/local/etc/mime.types")
    read_files = frozenset(realpath(p) for p in public if os.path.exists(p))
    denied = frozenset(__DENIED__)
    forbidden = tuple(dict.fromkeys([os.path.abspath(p) for p in forbidden] + [realpath(p) for p in forbidden]))

    # Builtin (compiled-in) modules: load the allowed ones now, then take away the only
    # way to make a fresh copy of one (it raises no audit event).
    for name in sys.builtin_module_names:
        if name not in denied:
            __import__(name)

    def _no_builtin(spec, _IE=ImportError):
        raise _IE("sandbox: loading built-in module %r is not allowed" % (getattr(spec, "name", spec),))
    _imp.create_builtin = _no_builtin

    # Unaudited calls that reach outside the scratch folder or the process: take them away.
    # (posix and _signal cannot be loaded afresh any more, see above.)
    sets = [value for key, value in vars(os).items() if key.startswith("supports_") and isinstance(value, set)]
    for module, names in ((os, ("chroot", "mkfifo", "mknod", "pidfd_open")),
                          (sys.modules["posix"], ("chroot", "mkfifo", "mknod", "pidfd_open")),
                          (_signal, ("pidfd_send_signal",))):
        for name in names:
            function = getattr(module, name, None)
            if function is not None:
                delattr(module, name)
                for group in sets:
                    group.discard(function)

    # subprocess imports _posixsubprocess, whose fork_exec raises no audit event: a stub.
    stub = type(sys)("_posixsubprocess")
    def fork_exec(*args, _PE=PermissionError):
        raise _PE("sandbox: starting processes is not allowed")
    stub.fork_exec = fork_exec
    sys.modules["_posixsubprocess"] = stub

    # types.coroutine flags a generator function's code with code.replace, which the hook
    # refuses (it builds a code object): wrap such a function instead (asyncio uses it).
    import types
    def coroutine(func, _original=types.coroutine, _function=types.FunctionType):
        flags = func.__code__.co_flags if type(func) is _function else 0
        if flags & 0x20 and not flags & 0x180:
            def call(*args, **kwargs):
                return func(*args, **kwargs)
            for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
                setattr(call, attr, getattr(func, attr))
            return _original(call)
        return _original(func)
    coroutine.__doc__ = types.coroutine.__doc__
    types.coroutine = coroutine

    # The hook accepts only str/bytes/int paths (never calls back into user objects), so
    # convert PathLike arguments once, here, for open() and the audited os functions.
    fspath, str_, bytes_, int_, type_ = os.fspath, str, bytes, int, type
    def plain(p):
        t = type_(p)
        if t is str_ or t is bytes_ or t is int_ or p is None:
            return p
        return fspath(p)
    def wrap(function, count, names):
        def wrapper(*args, **kwargs):
            if args:
                args = tuple(plain(a) if i < count else a for i, a in enumerate(args))
            for name in names:
                if name in kwargs:
                    kwargs[name] = plain(kwargs[name])
            return function(*args, **kwargs)
        wrapper.__name__ = function.__name__
        wrapper.__qualname__ = getattr(function, "__qualname__", function.__name__)
        wrapper.__doc__ = function.__doc__
        wrapper.__wrapped__ = function
        return wrapper
    builtins.open = io.open = wrap(io.open, 1, ("file",))
    for name in ("open", "listdir", "scandir", "mkdir", "rmdir", "remove", "unlink", "chmod", "utime",
                 "truncate", "getxattr", "setxattr", "listxattr", "removexattr"):
        if hasattr(os, name):
            setattr(os, name, wrap(getattr(os, name), 1, ("path",)))
    for name in ("rename", "replace"):
        setattr(os, name, wrap(getattr(os, name), 2, ("src", "dst")))

    def resolve(path, dir_fd=None, _type=type, _str=str, _bytes=bytes, _int=int, _isinstance=isinstance,
                _getcwd=os.getcwd, _lstat=os.lstat, _readlink=os.readlink, _item=tuple.__getitem__,
                _OSError=OSError, _ValueError=ValueError, _UnicodeError=UnicodeError, _strcopy=str.__str__):
        """The absolute path, symlinks resolved (lexical past a missing part); None if not a
        path. Only immutable values live in this frame: code running in the middle of it (a
        signal handler, a __del__ run by the garbage collector) can see but not change them."""
        t = _type(path)
        if t is _bytes:
            try:
                path = path.decode("utf-8", "surrogateescape")
            except _UnicodeError:
                return None
        elif t is not _str:
            if not _isinstance(path, _str):
                return None
            path = _strcopy(path)  # a str subclass: the characters C sees, as an exact str
        if "\x00" in path:
            return None
        if not path.startswith("/"):
            if dir_fd is None or (_type(dir_fd) is _int and dir_fd < 0):
                try:
                    base = _getcwd()
                except _OSError:
                    return None
            elif _type(dir_fd) is _int:
                try:
                    base = _readlink("/proc/self/fd/%d" % dir_fd)
                except _OSError:
                    return None
            else:
                return None
            if not base.startswith("/"):
                return None
            path = base + "/" + path
        done, rest, links = "", path, 0
        while rest:
            part, _, rest = rest.partition("/")
            if not part or part == ".":
                continue
            if part == "..":
                done = done.rpartition("/")[0]
                continue
            current = done + "/" + part
            try:
                mode = _item(_lstat(current), 0)
            except (_OSError, _ValueError):
                done = current
                continue
            if mode & 0o170000 == 0o120000:
                links += 1
                if links > 40:
                    return None
                try:
                    target = _readlink(current)
                except _OSError:
                    return None
                if target.startswith("/"):
                    done = ""
                rest = target + "/" + rest if rest else target
                continue
            done = current
        return done or "/"

    def allowed(path, write, _scratch=realpath(scratch), _roots=tuple(roots), _read_files=read_files,
                _write_files=frozenset(("/dev/null",)), _forbidden=forbidden):
        if path is None:
            return False
        for f in _forbidden:
            if path == f or path.startswith(f + "/") or f == "/":
                return False
        if path == _scratch or path.startswith(_scratch + "/"):
            return True
        if write:
            return path in _write_files
        if path in _read_files:
            return True
        for root in _roots:
            if path == root or path.startswith(root + "/"):
                return True
        return False

    def shown(path, _type=type, _bytes=bytes):
        """A refused path for a message, without calling into a user object."""
        return path if _type(path) is _bytes else "<a %s: paths must be str or bytes>" % _type(path).__name__

    always = frozenset((
        "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "os.kill", "os.killpg",
        "os.startfile", "subprocess.Popen", "pty.spawn", "os.link", "os.symlink", "os.chown", "os.chflags",
        "os.lchflags", "os.lchmod", "shutil.chown", "os.chdir", "os.add_dll_directory", "code.__new__",
        "marshal.loads", "marshal.load", "gc.get_objects", "gc.get_referrers", "gc.get_referents",
        "resource.setrlimit", "resource.prlimit", "fcntl.ioctl", "webbrowser.open",
        "cpython.PyInterpreterState_New", "sqlite3.connect", "sqlite3.enable_load_extension",
        "sqlite3.load_extension", "socket.bind", "socket.connect", "socket.getaddrinfo", "socket.gethostbyname",
        "socket.gethostbyaddr", "socket.getnameinfo", "socket.getservbyname", "socket.getservbyport",
        "socket.sendmsg", "socket.sendto", "socket.sethostname", "socket.gethostname", "socket.if_nameindex",
    ))

    def hook(event, args, _always=always, _prefixes=("ctypes.", "_winapi.", "winreg.", "msvcrt.", "_ctypes."),
             _resolve=resolve, _allowed=allowed, _shown=shown, _PE=PermissionError, _IE=ImportError,
             _type=type, _str=str, _int=int,
             _strcopy=str.__str__, _isinstance=isinstance, _lstat=os.stat, _item=tuple.__getitem__,
             _OSError=OSError, _ValueError=ValueError, _len=len, _denied=denied, _dynload=tuple(dynload),
             _wflags=os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC,
             _reads=frozenset(("os.listdir", "os.scandir", "os.getxattr", "os.listxattr")),
             _fd_writes=frozenset(("os.truncate",)),
             _writes=frozenset(("os.mkdir", "os.rmdir", "os.remove", "os.chmod", "os.utime", "os.truncate",
                                "os.setxattr", "os.removexattr")),
             _dirfd_at=(("os.mkdir", 2), ("os.rmdir", 1), ("os.remove", 1), ("os.chmod", 2), ("os.utime", 3)),
             _attrs=frozenset(("__code__", "__defaults__", "__kwdefaults__")), _function=type(lambda: 0),
             _protected=frozenset(("hook", "resolve", "allowed", "shown"))):
        if event in _always or event.startswith(_prefixes):
            raise _PE("sandbox: %s is not allowed" % event)
        if event == "open":
            path, mode, flags = args[0], args[1], args[2] if _len(args) > 2 else None
            if _type(path) is _int:
                return  # an fd the code already holds
            write = (_type(flags) is _int and flags & _wflags) or (
                _type(mode) is _str and ("w" in mode or "a" in mode or "x" in mode or "+" in mode))
            where = _resolve(path)
            if not _allowed(where, write):
                raise _PE("sandbox: access to %r is not allowed" % (where or _shown(path),))
            try:
                kind = _item(_lstat(where), 0) & 0o170000
            except (_OSError, _ValueError):
                return  # does not exist (yet): creating is only allowed in the scratch folder
            inside = _allowed(where, True)
            if kind == 0o020000 or kind == 0o060000:  # character or block device
                if not _allowed(where, False) or inside and where != "/dev/null":
                    raise _PE("sandbox: opening device %r is not allowed" % (where,))
            elif kind == 0o040000:  # a folder fd would let dir_fd= opens (not audited) go anywhere
                raise _PE("sandbox: opening folder %r is not allowed (list it with os.listdir/scandir)" % (where,))
            return
        if event == "socket.__new__":
            if args[1] != 1:  # AF_UNIX only (socketpair); connect/bind/sendto are refused anyway
                raise _PE("sandbox: network access is not allowed")
            return
        if event == "import":
            name, filename = args[0], args[1]
            if _type(name) is not _str:
                name = _strcopy(name) if _isinstance(name, _str) else ""
            for part in name.split("."):
                if part in _denied:
                    raise _IE("sandbox: importing %r is not allowed" % (name,))
            if filename is not None:  # an extension module being loaded from a file
                where = _resolve(filename)
                ok = False
                if where is not None:
                    base = where.rpartition("/")[2]
                    ok = base.partition(".")[0] not in _denied
                    if ok:
                        ok = False
                        for root in _dynload:
                            if where.startswith(root + "/"):
                                ok = True
                if not ok:
                    raise _IE("sandbox: loading native module %r is not allowed" % (filename,))
            return
        if event in _reads:
            path = args[0]
            if path is None or _type(path) is _int:
                return
            where = _resolve(path)
            if not _allowed(where, False):
                raise _PE("sandbox: access to %r is not allowed" % (where or _shown(path),))
            return
        if event in _writes:
            path = args[0]
            if _type(path) is _int:
                if event in _fd_writes:
                    return
                raise _PE("sandbox: %s on a file descriptor is not allowed" % event)
            dir_fd = None
            for name, index in _dirfd_at:
                if name == event and _len(args) > index:
                    dir_fd = args[index]
            where = _resolve(path, dir_fd)
            if not _allowed(where, True):
                raise _PE("sandbox: changing %r is not allowed" % (where or _shown(path),))
            return
        if event == "os.rename":
            for path, dir_fd in ((args[0], args[2]), (args[1], args[3])):
                where = _resolve(path, dir_fd)
                if not _allowed(where, True):
                    raise _PE("sandbox: changing %r is not allowed" % (where or _shown(path),))
            return
        if event == "object.__setattr__" or event == "object.__delattr__":
            if _len(args) > 1 and _type(args[1]) is _str and args[1] in _attrs and _type(args[0]) is _function:
                own = args[0].__code__
                if own.co_filename == "<string>" and own.co_name in _protected:
                    raise _PE("sandbox: changing the sandbox's %s is not allowed" % args[1])
            return

    try:
        code = compile(source, "main.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:  # ValueError: null bytes in the source
        sys.excepthook(type(error), error, None)
        _exit(1)
    main = type(sys)("__main__")
    main.__file__ = "main.py"
    main.__builtins__ = builtins
    sys.modules["__main__"] = main
    sys.argv[:] = ["main.py"]
    sys.addaudithook(hook)
    del hook, resolve, allowed, shown, source
    status = 0
    try:
        exec(code, main.__dict__)
    except SystemExit as stop:
        value = stop.code
        if value is None:
            status = 0
        elif isinstance(value, int):
            status = value & 0xFF
        else:
            try:
                print(value, file=sys.stderr)
            except BaseException:
                pass
            status = 1
    except BaseException as error:
        try:
            error.__traceback__ = error.__traceback__.tb_next  # drop the bootstrap's frame
            sys.excepthook(type(error), error, error.__traceback__)
        except BaseException:
            pass
        status = 1
    finally:
        try:
            threading = sys.modules.get("threading")
            if threading is not None:
                threading._shutdown()
            atexit._run_exitfuncs()
        except BaseException:
            pass
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        _exit(status)

_sandbox_main()
'''.replace("__DENIED__", repr(_DENIED_MODULES))


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


def _limit_setter(limits: SandboxLimits):
    def cap(kind: int, value: int) -> tuple[int, int]:
        _, hard = resource.getrlimit(kind)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        return value, value

    memory = max(1, int(limits.memory_mb)) * 1024 * 1024
    cpu = max(1, int(limits.cpu_s))
    _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
    cpu_pair = (cpu, cpu + 1) if cpu_hard == resource.RLIM_INFINITY or cpu + 1 <= cpu_hard else cap(
        resource.RLIMIT_CPU, cpu)
    settings = [(resource.RLIMIT_AS, cap(resource.RLIMIT_AS, memory)),
                (resource.RLIMIT_CPU, cpu_pair),
                (resource.RLIMIT_FSIZE, cap(resource.RLIMIT_FSIZE, max(1, int(limits.max_file_mb)) * 1024 * 1024)),
                (resource.RLIMIT_NOFILE, cap(resource.RLIMIT_NOFILE, MAX_OPEN_FILES)),
                (resource.RLIMIT_CORE, (0, 0))]

    def apply():  # runs in the child between fork and exec: plain calls only
        for kind, pair in settings:
            resource.setrlimit(kind, pair)

    return apply


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


async def run_python(code: str, limits: SandboxLimits = SandboxLimits(),
                     forbidden_paths: list[Path] = []) -> SandboxResult:  # noqa: B006 (never mutated)
    """Run `code` in the sandbox described in the module docstring and return what it printed."""
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
                "-X", f"pycache_prefix={scratch}/.no-pycache", "-c", _BOOTSTRAP,
                scratch, str(status_write), *[str(p) for p in forbidden_paths]]
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": scratch, "TMPDIR": scratch, "LANG": "C.UTF-8",
               "LC_ALL": "C.UTF-8", "USER": "sandbox", "LOGNAME": "sandbox"}
        try:
            process = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, cwd=scratch, env=env, start_new_session=True,
                preexec_fn=_limit_setter(limits), pass_fds=(status_write,) if status_write >= 0 else ())
        except Exception as exc:  # OSError, or subprocess.SubprocessError from preexec_fn
            return SandboxResult("", "", None, False, False, f"could not start the sandbox: {exc}")
        finally:
            if status_write >= 0:
                os.close(status_write)
                status_write = -1
        return await _supervise(process, limits, status_read)
    finally:
        if process is not None and process.returncode is None:
            _kill_group(process)
            try:
                await asyncio.wait_for(process.wait(), 5)
            except (TimeoutError, asyncio.CancelledError):
                pass
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
        try:
            process.kill()
        except ProcessLookupError:
            pass


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
