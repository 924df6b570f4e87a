"""Runs the server under test and takes its whole process tree down with it (Linux).

Usage (by server.LaunchedServer, never by hand): ``python tree_guard.py PARENT_PID -- ARGV...``

Why a guard process: stopping the server's process group is not enough. A process that calls
setsid() leaves the group; when the server dies first, its children are re-parented to init and
live on (a verify run on a loaded CI machine left a launcher's child alive 8 minutes later); and
a verify process killed with SIGKILL cannot stop anything. The guard:

  * is the server's parent and a child subreaper (PR_SET_CHILD_SUBREAPER), so every orphan of
    the server's tree is re-parented to the guard, not to init, and stays findable;
  * gets SIGTERM when the verify process dies, however it dies (PR_SET_PDEATHSIG), and exits at
    once when that process was already gone before the signal was armed;
  * on SIGTERM/SIGINT/SIGHUP, and when the server exits by itself, sends SIGTERM to every
    descendant, waits up to TOKENIDS_VERIFY_STOP_GRACE_S seconds (default 10; the verify
    process's own SIGKILL comes at 20), then SIGKILLs what is left and reaps it all;
  * ends the way the server ended: its exit code, or killed by the same signal, so the verify
    process reports the server's own exit.

Standard library only, and run by path (the server's environment need not import this package).
"""

import ctypes
import os
import signal
import sys
import time

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class Stop(Exception):
    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


class _State:
    stopping = False  # once set, a further signal is ignored: the take-down is under way


def _on_signal(signum, _frame):
    if not _State.stopping:
        raise Stop(signum)


def descendants(root):
    """Every process below ``root`` (children of children...), from /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the fields start after the last ')'.
        fields = stat[stat.rfind(b")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _signal_all(pids, sig):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _reap_all():
    """Reaps every child that has exited; returns {pid: status} of those reaped."""
    reaped = {}
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return reaped
        if pid == 0:
            return reaped
        reaped[pid] = status


def take_down(grace):
    """SIGTERM to the whole tree, SIGKILL to what outlives ``grace``, everything reaped."""
    me = os.getpid()
    _signal_all(descendants(me), signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        _reap_all()
        if not descendants(me):
            return
        time.sleep(0.05)
    while descendants(me):
        _signal_all(descendants(me), signal.SIGKILL)
        time.sleep(0.05)
        _reap_all()


def _end_like(status):
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {sig})
        os.kill(os.getpid(), sig)
        time.sleep(1)  # the signal ends us; the exit below is for one that could not
        os._exit(128 + sig)
    os._exit(os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else os.WEXITSTATUS(status))


def _arm(parent):
    """Parent-death signal and subreaper; False when the parent is already gone. Where prctl is
    not available (not glibc), the guard still sweeps on stop and on the server's exit."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1)
    except (OSError, AttributeError):
        pass
    return os.getppid() == parent


def main(argv):
    if len(argv) < 3 or argv[1] != "--":
        sys.stderr.write("usage: tree_guard.py PARENT_PID -- ARGV...\n")
        return 2
    parent = int(argv[0])
    command = argv[2:]
    grace = float(os.environ.get("TOKENIDS_VERIFY_STOP_GRACE_S", "10"))
    for s in STOP_SIGNALS:
        signal.signal(s, _on_signal)
    status = None
    try:
        try:
            # The verify process blocked these around the fork, so none is lost before the
            # handlers above exist; a signal that came meanwhile is delivered here.
            signal.pthread_sigmask(signal.SIG_UNBLOCK, set(STOP_SIGNALS))
            if not _arm(parent):
                return 143  # the verify process died before the parent-death signal was armed
            server = os.posix_spawnp(command[0], command, os.environ, setsigmask=set())
            while True:
                pid, wait_status = os.waitpid(-1, 0)  # the server, or an orphan of its tree
                if pid == server:
                    status = wait_status
                    break
        finally:
            _State.stopping = True  # from here on a signal cannot interrupt the take-down
    except Stop as stop:
        take_down(grace)
        signal.signal(stop.signum, signal.SIG_DFL)
        os.kill(os.getpid(), stop.signum)
        return 128 + stop.signum
    take_down(grace)
    _end_like(status)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
