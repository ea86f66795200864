"""An orphan-maker: the first process forks a middle one, which forks the
orphan and exits as soon as the orphan has read its first parent. The
orphan then waits to be adopted and tells who adopted it (under
`procdemo observe`, procdemo: it is the subreaper). The first process
reaps the middle one and ends when the orphan ends (the end of a pipe the
orphan holds)."""

import os

from truth import tell, wait_for


def main():
    done_r, done_w = os.pipe()
    middle = os.fork()
    if middle == 0:
        os.close(done_r)
        ready_r, ready_w = os.pipe()
        orphan = os.fork()
        if orphan == 0:
            os.close(ready_r)
            first_parent = os.getppid()
            tell(orphan=os.getpid(), first_parent=first_parent)
            os.write(ready_w, b"x")
            wait_for(lambda: os.getppid() != first_parent, "the adoption")
            tell(orphan=os.getpid(), adopted_by=os.getppid())
            os._exit(0)
        os.close(ready_w)
        os.close(done_w)
        os.read(ready_r, 1)
        tell(middle=os.getpid(), orphan=orphan)
        os._exit(0)
    os.close(done_w)
    waited, status = os.waitpid(middle, 0)
    tell(main=os.getpid(), waited=waited, exit_code=os.waitstatus_to_exitcode(status))
    # EOF once the orphan, the last holder of the write end, has ended.
    os.read(done_r, 1)


main()
