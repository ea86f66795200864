"""A zombie-maker: the child exits 7 at once; the parent waits until /proc
shows it as a zombie (state Z), sleeps SLEPT seconds, then reaps it with
os.waitpid."""

import os
import time

from truth import state, tell, wait_for

SLEPT = 0.3

def main():
    child = os.fork()
    if child == 0:
        tell(child=os.getpid(), ppid=os.getppid())
        os._exit(7)
    tell(parent=os.getpid(), child=child)
    wait_for(lambda: state(child) == "Z", "the child to become a zombie")
    time.sleep(SLEPT)
    waited, status = os.waitpid(child, 0)
    tell(waited=waited, exit_code=os.waitstatus_to_exitcode(status), slept_us=int(SLEPT * 1e6))


main()
