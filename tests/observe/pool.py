"""A multiprocessing.Pool of 3 under the start method argv[1] (fork, spawn
or forkserver). Each worker tells its pid and parent as it starts (the
pool's initializer); the tasks return the pid that ran them. The pool is
closed and joined, so the workers end by themselves."""

import multiprocessing
import os
import sys

from truth import tell

WORKERS = 3


def started():
    tell(worker=os.getpid(), ppid=os.getppid())


def task(_):
    return os.getpid()


def helpers():
    """The pids of the resource tracker and the forkserver, when running
    (private attributes of CPython 3.8 to 3.13)."""
    from multiprocessing import forkserver, resource_tracker

    return {
        "resource_tracker": getattr(resource_tracker._resource_tracker, "_pid", None),
        "forkserver": getattr(forkserver._forkserver, "_forkserver_pid", None),
    }


def main():
    method = sys.argv[1]
    multiprocessing.set_start_method(method)
    tell(main=os.getpid(), method=multiprocessing.get_start_method())
    pool = multiprocessing.Pool(WORKERS, initializer=started)
    ran_in = sorted(set(pool.map(task, range(30), chunksize=1)))
    tell(tasks_ran_in=ran_in, **helpers())
    pool.close()
    pool.join()


if __name__ == "__main__":
    main()
