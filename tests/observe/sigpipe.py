"""A signal the kernel sends: the child writes to a pipe whose read end
is closed everywhere and gets SIGPIPE (it puts back the default action
first: Python ignores SIGPIPE and would see EPIPE instead)."""

import os
import signal

from truth import tell


def main():
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read_end)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        tell(child=os.getpid())
        os.write(write_end, b"nobody reads this")
        os._exit(0)
    os.close(read_end)
    os.close(write_end)
    waited, status = os.waitpid(child, 0)
    tell(parent=os.getpid(), waited=waited, signal=signal.Signals(os.WTERMSIG(status)).name)


main()
