"""A double-fork daemon: the first process forks a middle one, which starts
a new session and forks the daemon, then exits; the first process reaps the
middle one and exits at once. The daemon, its standard streams on
/dev/null, lives argv[1] seconds (2 at the most) and ends by itself."""

import os
import sys
import time

from truth import tell


def main():
    seconds = min(float(sys.argv[1]), 2.0)
    middle = os.fork()
    if middle == 0:
        os.setsid()
        daemon = os.fork()
        if daemon == 0:
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            tell(daemon=os.getpid(), first_parent=os.getppid(), sid=os.getsid(0))
            time.sleep(seconds)
            os._exit(0)
        tell(middle=os.getpid(), daemon=daemon)
        os._exit(0)
    waited, status = os.waitpid(middle, 0)
    tell(main=os.getpid(), waited=waited, exit_code=os.waitstatus_to_exitcode(status))


main()
