"""A parent that ignores SIGCHLD: its child, which exits 5, is reaped by
the kernel at once and never becomes a zombie to wait for; the parent's
os.waitpid then fails with ECHILD."""

import errno
import os
import signal

from truth import tell


def main():
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    child = os.fork()
    if child == 0:
        os._exit(5)
    try:
        os.waitpid(child, 0)
    except ChildProcessError as error:
        tell(parent=os.getpid(), child=child, wait_error=errno.errorcode[error.errno])


main()
