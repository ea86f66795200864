"""A program with threads: the main thread starts three, which all wait at
a barrier (so the process has four threads at once), then end; each tells
its kernel thread id (threading.get_native_id)."""

import os
import threading

from truth import tell

THREADS = 3


def work(barrier):
    tell(thread=threading.get_native_id(), pid=os.getpid())
    barrier.wait()


def main():
    tell(main_thread=threading.get_native_id(), pid=os.getpid())
    barrier = threading.Barrier(THREADS)
    threads = [threading.Thread(target=work, args=(barrier,)) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


main()
