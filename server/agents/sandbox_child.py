"""The sandbox's child program: limits itself, locks its interpreter down, then runs the code.

server/agents/sandbox.py runs this file by path, never imports it:

    python -I -S -B -u -X utf8 -X pycache_prefix=<scratch>/.no-pycache sandbox_child.py --scratch=... ...

with its configuration as `--name=value` arguments (see `parse_options`). Standard library only: it runs
without `site`, so none of the server's packages exist in it. Tests import it to check its
parts. The steps, in order (each before any of the code runs):

1. Resource limits (`set_limits`), before anything else and before the audit hook, which
   then refuses raising them.
2. As the init of a fresh PID namespace (pid 1), fork: the code runs in the child and the
   init reports how it ended on the status pipe (`run_as_namespace_init`).
3. Lock the interpreter down: load the allowed built-in modules and take away the way to
   load one afresh, remove the calls that raise no audit event but reach outside the
   process (`UNAUDITED`), stub `_posixsubprocess`, wrap `types.coroutine` and the path
   functions (`prepare_interpreter`).
4. Install the audit hook (`make_hook`) and run main.py from the scratch folder as
   `__main__`, then end with os._exit, so no code runs once finalization clears the hook
   (the hook also ends the process itself if finalization starts anyway).

Everything the hook and its helpers use lives in their default arguments (immutable values,
built-ins captured here); they read no globals and no closure cells, so code that reaches
this module's globals (through a frame) cannot change what they do. tests/test_sandbox.py
checks that on the bytecode.
"""
from __future__ import annotations

import _imp
import _signal
import atexit
import builtins
import io
import os
import resource
import sys
import types

# The options (`--name=value`; every one required but --forbidden, which may repeat):
#   --scratch: the scratch folder (cwd, HOME, TMPDIR), which holds main.py;
#   --status-fd: write end of the status pipe the PID namespace init reports on; -1 for none;
#   --memory-mb, --cpu-s, --max-file-mb, --max-open-files: the resource limits;
#   --forbidden: a path refused even where it falls under a readable place.
# Not JSON: json imports re, about 0.1 s per run here, where the standard library compiles from source.
LIMIT_OPTIONS = ("memory_mb", "cpu_s", "max_file_mb", "max_open_files")


# Modules the code may not import (any dotted component matches).
DENIED_MODULES = frozenset((
    "_ctypes", "ctypes", "_ctypes_test", "_posixsubprocess", "_xxsubinterpreters", "_xxinterpchannels",
    "_testcapi", "_testinternalcapi", "_testbuffer", "_testmultiphase", "_testimportmultiple", "_testclinic",
    "_testsinglephase", "_xxtestfuzz", "xxlimited", "xxlimited_35", "xxsubtype", "_posixshmem",
    "_multiprocessing", "_sqlite3", "sqlite3", "_ssl", "spwd", "nis", "syslog", "readline", "_curses",
    "_curses_panel", "_tkinter", "ossaudiodev", "pwd", "grp", "_crypt",
))

# Calls that raise no audit event yet reach outside the scratch folder or the process: removed
# from their modules (built-in modules, which cannot be loaded afresh once step 3 ran).
#   chroot, mkfifo, mknod: the file system outside the scratch folder (mknod: devices as root);
#   pidfd_open, pidfd_send_signal: signalling a process by pid;
#   setpriority (PRIO_PROCESS/PGRP/USER of any pid), sched_setaffinity, sched_setscheduler,
#   sched_setparam: renice, re-pin or re-schedule another process of the same user (the server
#   itself where no PID namespace hides it; any process as root);
#   clock_settime(_ns): the machine's clock (as root without a user namespace).
# The getters (getpriority, sched_getaffinity...) stay: they read, like os.stat.
UNAUDITED = (
    ("posix", ("chroot", "mkfifo", "mknod", "pidfd_open", "setpriority", "sched_setaffinity",
               "sched_setscheduler", "sched_setparam")),
    ("_signal", ("pidfd_send_signal",)),
    ("time", ("clock_settime", "clock_settime_ns")),
)

# Audit events refused whatever their arguments.
ALWAYS_REFUSED = frozenset((
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
REFUSED_PREFIXES = ("ctypes.", "_winapi.", "winreg.", "msvcrt.", "_ctypes.")

# fcntl commands that make the kernel signal another process: F_SETOWN and F_SETOWN_EX name the
# process that gets SIGIO/SIGURG for an O_ASYNC descriptor (its default action ends a process),
# F_SETSIG picks the signal. Linux values (asm-generic).
FCNTL_SIGNAL_OWNER = frozenset((8, 15, 10))

# Files outside the standard library the code may read: time zones, MIME tables mimetypes.init()
# reads (mimetypes.knownfiles), the interpreter, the harmless devices.
PUBLIC_FILES = (
    "/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/etc/localtime", "/etc/mime.types",
    "/etc/httpd/mime.types", "/etc/httpd/conf/mime.types", "/etc/apache/mime.types", "/etc/apache2/mime.types",
    "/usr/local/etc/httpd/conf/mime.types", "/usr/local/lib/netscape/mime.types", "/usr/local/etc/mime.types",
)
PUBLIC_FOLDERS = ("/usr/share/zoneinfo",)

# Exit status when finalization starts without the sandbox's own exit (something skipped it).
EXIT_FINALIZING = 70


# ---------------------------------------------------------------- 1. limits


def rlimits(limits: dict) -> list[tuple[int, tuple[int, int]]]:
    """The (resource, (soft, hard)) pairs to set: each capped at the current hard limit. The CPU
    limit gets a hard limit one second above the soft one: SIGXCPU first, SIGKILL a second later."""
    getrlimit = resource.getrlimit

    def cap(kind: int, value: int) -> tuple[int, int]:
        hard = getrlimit(kind)[1]
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        return value, value

    cpu = max(1, int(limits["cpu_s"]))
    cpu_hard = getrlimit(resource.RLIMIT_CPU)[1]
    cpu_pair = (cpu, cpu + 1) if cpu_hard == resource.RLIM_INFINITY or cpu + 1 <= cpu_hard else cap(
        resource.RLIMIT_CPU, cpu)
    return [(resource.RLIMIT_AS, cap(resource.RLIMIT_AS, max(1, int(limits["memory_mb"])) << 20)),
            (resource.RLIMIT_CPU, cpu_pair),
            (resource.RLIMIT_FSIZE, cap(resource.RLIMIT_FSIZE, max(1, int(limits["max_file_mb"])) << 20)),
            (resource.RLIMIT_NOFILE, cap(resource.RLIMIT_NOFILE, int(limits["max_open_files"]))),
            (resource.RLIMIT_CORE, (0, 0))]


def set_limits(limits: dict) -> None:
    for kind, pair in rlimits(limits):
        resource.setrlimit(kind, pair)
    _signal.signal(_signal.SIGXFSZ, _signal.SIG_IGN)  # a too-big write fails with EFBIG instead


# ---------------------------------------------------------------- 2. PID namespace init


def run_as_namespace_init(status_fd: int) -> None:
    """As pid 1 of a fresh PID namespace: fork; the child returns and runs the code, this process
    reaps until the child ends, writes "exit N" or "signal N" to status_fd, and exits."""
    child = os.fork()
    if not child:
        return
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
    os._exit(code)


# ---------------------------------------------------------------- 3. the interpreter


def prepare_interpreter(denied: frozenset[str]) -> None:
    # Built-in (compiled-in) modules: load the allowed ones now, then take away the only way to
    # make a fresh copy of one (it raises no audit event), so what is removed below stays removed.
    for name in sys.builtin_module_names:
        if name not in denied:
            __import__(name)

    def no_builtin(spec, _IE=ImportError):
        raise _IE("sandbox: loading built-in module %r is not allowed" % (getattr(spec, "name", spec),))
    _imp.create_builtin = no_builtin

    remove_unaudited()

    # subprocess imports _posixsubprocess, whose fork_exec raises no audit event: a stub.
    stub = type(sys)("_posixsubprocess")

    def fork_exec(*args, _PE=PermissionError):
        raise _PE("sandbox: starting processes is not allowed")
    stub.fork_exec = fork_exec
    sys.modules["_posixsubprocess"] = stub

    wrap_coroutine()

    # The hook accepts only str/bytes/int paths (it never calls back into user objects), so
    # PathLike arguments are converted once, here, for open() and the audited os functions.
    builtins.open = io.open = accept_pathlike(io.open, 1, ("file",))
    for name in ("open", "listdir", "scandir", "mkdir", "rmdir", "remove", "unlink", "chmod", "utime",
                 "truncate", "getxattr", "setxattr", "listxattr", "removexattr"):
        if hasattr(os, name):
            setattr(os, name, accept_pathlike(getattr(os, name), 1, ("path",)))
    for name in ("rename", "replace"):
        setattr(os, name, accept_pathlike(getattr(os, name), 2, ("src", "dst")))


def remove_unaudited() -> None:
    """Deletes the UNAUDITED calls from their modules, from `os` (which copies posix's names) and
    from the os.supports_* sets."""
    groups = [value for key, value in vars(os).items() if key.startswith("supports_") and isinstance(value, set)]
    for module_name, names in UNAUDITED:
        modules = [sys.modules.get(module_name) or __import__(module_name)] + ([os] if module_name == "posix" else [])
        for module in modules:
            for name in names:
                function = getattr(module, name, None)
                if function is not None:
                    delattr(module, name)
                    for group in groups:
                        group.discard(function)


def wrap_coroutine() -> None:
    """types.coroutine flags a generator function's code with code.replace, which the hook refuses
    (it builds a code object): wrap such a function instead (asyncio uses it)."""
    def coroutine(func, _original=types.coroutine, _function=types.FunctionType):
        flags = func.__code__.co_flags if type(func) is _function else 0
        if flags & 0x20 and not flags & 0x180:  # a generator, not already a coroutine
            def call(*args, **kwargs):
                return func(*args, **kwargs)
            for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
                setattr(call, attr, getattr(func, attr))
            return _original(call)
        return _original(func)
    coroutine.__doc__ = types.coroutine.__doc__
    types.coroutine = coroutine


def accept_pathlike(function, count: int, names: tuple[str, ...]):
    """`function` with its first `count` positional arguments and the keyword arguments `names`
    converted from PathLike to str/bytes."""
    fspath, str_, bytes_, int_, type_ = os.fspath, str, bytes, int, type

    def plain(p):
        t = type_(p)
        if t is str_ or t is bytes_ or t is int_ or p is None:
            return p
        return fspath(p)

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


# ---------------------------------------------------------------- 4. the policy and the hook


def readable_places(forbidden: list[str]) -> tuple[tuple[str, ...], tuple[str, ...], frozenset[str], tuple[str, ...]]:
    """(readable folders, folders extension modules may load from, readable files, forbidden paths):
    the standard library's folders (sys.path at start-up) and lib-dynload, PUBLIC_FOLDERS and
    PUBLIC_FILES, the interpreter; forbidden paths both as given (absolute) and resolved."""
    realpath = os.path.realpath
    roots, dynload = [], []
    for entry in sys.path:
        if os.path.isdir(entry):
            roots.append(realpath(entry))
            if entry.rstrip("/").endswith("lib-dynload"):
                dynload.append(realpath(entry))
    roots += [realpath(p) for p in PUBLIC_FOLDERS if os.path.isdir(p)]
    read_files = frozenset(realpath(p) for p in (*PUBLIC_FILES, sys.executable) if os.path.exists(p))
    forbidden_paths = tuple(dict.fromkeys([os.path.abspath(p) for p in forbidden] + [realpath(p) for p in forbidden]))
    return tuple(roots), tuple(dynload), read_files, forbidden_paths


def make_resolve():
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
    return resolve


def make_allowed(scratch: str, roots: tuple[str, ...], read_files: frozenset[str], forbidden: tuple[str, ...]):
    def allowed(path, write, _scratch=scratch, _roots=roots, _read_files=read_files,
                _write_files=frozenset(("/dev/null",)), _forbidden=forbidden):
        """Whether a resolved path may be read (write false) or changed: the scratch folder for
        both, the readable places for reading; never a forbidden path."""
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
    return allowed


def make_shown():
    def shown(path, _type=type, _bytes=bytes):
        """A refused path for a message, without calling into a user object."""
        return path if _type(path) is _bytes else "<a %s: paths must be str or bytes>" % _type(path).__name__
    return shown


def make_hook(resolve, allowed, shown, denied: frozenset[str], dynload: tuple[str, ...], own_file: str):
    """The audit hook: raises PermissionError (ImportError for imports) for what the code may not
    do. `own_file` is this program's file name: the `__code__`/`__defaults__` of its hook and
    policy functions may not be changed."""
    def hook(event, args, _always=ALWAYS_REFUSED, _prefixes=REFUSED_PREFIXES, _fcntl_owner=FCNTL_SIGNAL_OWNER,
             _resolve=resolve, _allowed=allowed, _shown=shown, _PE=PermissionError, _IE=ImportError,
             _type=type, _str=str, _int=int, _exit=os._exit, _write=os.write, _finalizing=EXIT_FINALIZING,
             _strcopy=str.__str__, _isinstance=isinstance, _lstat=os.stat, _item=tuple.__getitem__,
             _OSError=OSError, _ValueError=ValueError, _len=len, _denied=denied, _dynload=dynload,
             _wflags=os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC,
             _reads=frozenset(("os.listdir", "os.scandir", "os.getxattr", "os.listxattr")),
             _fd_writes=frozenset(("os.truncate",)),
             _writes=frozenset(("os.mkdir", "os.rmdir", "os.remove", "os.chmod", "os.utime", "os.truncate",
                                "os.setxattr", "os.removexattr")),
             _dirfd_at=(("os.mkdir", 2), ("os.rmdir", 1), ("os.remove", 1), ("os.chmod", 2), ("os.utime", 3)),
             _attrs=frozenset(("__code__", "__defaults__", "__kwdefaults__")), _function=type(lambda: 0),
             _own_file=own_file, _protected=frozenset(("hook", "resolve", "allowed", "shown"))):
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
        if event == "fcntl.fcntl":
            if _len(args) > 1 and args[1] in _fcntl_owner:
                raise _PE("sandbox: fcntl command %r is not allowed (it directs signals at a process)" % (args[1],))
            return
        if event == "object.__setattr__" or event == "object.__delattr__":
            if _len(args) > 1 and _type(args[1]) is _str and args[1] in _attrs and _type(args[0]) is _function:
                own = args[0].__code__
                if own.co_filename == _own_file and own.co_name in _protected:
                    raise _PE("sandbox: changing the sandbox's %s is not allowed" % args[1])
            return
        if event == "cpython.PyInterpreterState_Clear":
            # Finalization is about to drop the hook, yet the sandbox's own exit never ran: stop here.
            _write(2, b"sandbox: the program ended without the sandbox's exit; stopped before finalization\n")
            _exit(_finalizing)
    return hook


# ---------------------------------------------------------------- running the code


def run(code, hook) -> None:
    """Runs the compiled code as __main__ under the hook; never returns (os._exit with its status)."""
    _exit, modules, run_exitfuncs, stdout, stderr = os._exit, sys.modules, atexit._run_exitfuncs, sys.stdout, sys.stderr
    main = type(sys)("__main__")
    main.__file__ = "main.py"
    main.__builtins__ = builtins
    modules["__main__"] = main
    sys.argv[:] = ["main.py"]
    sys.addaudithook(hook)
    del hook
    status = 1
    try:
        exec(code, main.__dict__)
        status = 0
    except SystemExit as stop:
        value = stop.code
        if value is None:
            status = 0
        elif isinstance(value, int):
            status = value & 0xFF
        else:
            try:
                print(value, file=stderr)
            except BaseException:
                pass
            status = 1
    except BaseException as error:
        try:
            error.__traceback__ = error.__traceback__.tb_next  # drop this frame
            sys.excepthook(type(error), error, error.__traceback__)
        except BaseException:
            pass
        status = 1
    finally:
        try:
            try:
                threading = modules.get("threading")
                if threading is not None:
                    threading._shutdown()
                run_exitfuncs()
            except BaseException:
                pass
            for stream in (stdout, stderr):
                try:
                    stream.flush()
                except BaseException:
                    pass
        finally:
            _exit(status)


def parse_options(arguments: list[str]) -> dict:
    """{"scratch": str, "status_fd": int, "forbidden": [str], "limits": {LIMIT_OPTIONS: int}} from
    the `--name=value` arguments; ValueError naming a missing or unknown one."""
    options: dict = {"forbidden": [], "limits": {}}
    for argument in arguments:
        name, equals, value = argument.removeprefix("--").partition("=")
        name = name.replace("-", "_")
        if not argument.startswith("--") or not equals:
            raise ValueError(f"sandbox child: expected --name=value, got {argument!r}")
        if name == "forbidden":
            options["forbidden"].append(value)
        elif name == "scratch":
            options["scratch"] = value
        elif name == "status_fd":
            options["status_fd"] = int(value)
        elif name in LIMIT_OPTIONS:
            options["limits"][name] = int(value)
        else:
            raise ValueError(f"sandbox child: unknown option --{name}")
    missing = [n for n in ("scratch", "status_fd") if n not in options] + [
        n for n in LIMIT_OPTIONS if n not in options["limits"]]
    if missing:
        raise ValueError(f"sandbox child: missing {', '.join('--' + n.replace('_', '-') for n in missing)}")
    return options


def main(arguments: list[str]) -> None:
    config = parse_options(arguments)
    set_limits(config["limits"])
    if os.getpid() == 1:  # init of a fresh PID namespace
        run_as_namespace_init(config["status_fd"])
    if config["status_fd"] >= 0:
        os.close(config["status_fd"])
    scratch = os.path.realpath(config["scratch"])
    with open(scratch + "/main.py", "rb") as f:
        source = f.read()
    roots, dynload, read_files, forbidden = readable_places(config["forbidden"])
    prepare_interpreter(DENIED_MODULES)
    try:
        code = compile(source, "main.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:  # ValueError: null bytes in the source
        sys.excepthook(type(error), error, None)
        os._exit(1)
    del source
    # The hook is built in the call: no frame of this program keeps it in a variable.
    run(code, make_hook(make_resolve(), make_allowed(scratch, roots, read_files, forbidden), make_shown(),
                        DENIED_MODULES, dynload, make_hook.__code__.co_filename))


if __name__ == "__main__":
    main(sys.argv[1:])
