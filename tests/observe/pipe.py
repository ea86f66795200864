"""A multiprocessing.Pipe(duplex=False) made before a fork (the fork start
method): the child keeps the sending end, the parent the receiving end;
each tells the descriptor it holds once it has closed the other."""

import multiprocessing
import os

from truth import tell


def child(receiving, sending):
    receiving.close()
    tell(child=os.getpid(), fd=sending.fileno())
    sending.send("hello")
    sending.close()


def main():
    multiprocessing.set_start_method("fork")
    receiving, sending = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.Process(target=child, args=(receiving, sending))
    process.start()
    sending.close()
    tell(parent=os.getpid(), fd=receiving.fileno(), got=receiving.recv())
    process.join()


if __name__ == "__main__":
    main()
