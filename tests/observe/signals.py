"""A program killed by a signal: it forks a child, which sleeps; the
parent sends it SIGTERM with os.kill, reaps it, then sends SIGTERM to
itself."""

import os
import signal
import time

from truth import tell


def main():
    ready_r, ready_w = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(ready_r)
        tell(child=os.getpid(), ppid=os.getppid())
        os.write(ready_w, b"x")
        time.sleep(10)
        os._exit(0)
    os.close(ready_w)
    os.read(ready_r, 1)
    os.kill(child, signal.SIGTERM)
    waited, status = os.waitpid(child, 0)
    tell(parent=os.getpid(), killed=waited, signal=signal.Signals(os.WTERMSIG(status)).name)
    os.kill(os.getpid(), signal.SIGTERM)


main()
