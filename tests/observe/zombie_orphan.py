"""An orphan that is already a zombie: the middle process forks a child
that exits 4 at once, waits until /proc shows it as a zombie (state Z) and
exits without waiting for it. The adopter (under `procdemo observe`,
procdemo, the subreaper) then reaps it. The first process reaps the middle
one and ends once the zombie is gone."""

import os

from truth import state, tell, wait_for


def main():
    pid_r, pid_w = os.pipe()
    middle = os.fork()
    if middle == 0:
        child = os.fork()
        if child == 0:
            os._exit(4)
        wait_for(lambda: state(child) == "Z", "the child to become a zombie")
        tell(middle=os.getpid(), zombie=child)
        os.write(pid_w, str(child).encode())
        os._exit(0)
    os.close(pid_w)
    child = int(os.read(pid_r, 32))
    waited, status = os.waitpid(middle, 0)
    tell(main=os.getpid(), waited=waited, exit_code=os.waitstatus_to_exitcode(status))
    wait_for(lambda: not os.path.exists(f"/proc/{child}"), "the adopter to reap the zombie")


main()
