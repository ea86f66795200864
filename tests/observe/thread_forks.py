"""A process created by a thread that is not the main one: the thread
tells its kernel thread id and the child's pid, then reaps the child."""

import os
import threading

from truth import tell


def fork_and_wait():
    child = os.fork()
    if child == 0:
        os._exit(0)
    tell(thread=threading.get_native_id(), child=child)
    os.waitpid(child, 0)


def main():
    tell(main=os.getpid())
    thread = threading.Thread(target=fork_and_wait)
    thread.start()
    thread.join()


main()
