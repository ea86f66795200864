import multiprocessing as mp
import sys, threading, time

def work(n):
    total = 0
    for i in range(n):
        total += i

def one(n):
    work(2 * n)          # one thread, two units of work

def two(start_worker, n):
    workers = [start_worker(target=work, args=(n,)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()

def timed(run, n):
    started = time.perf_counter()
    run(n)
    return (time.perf_counter() - started) * 1000

if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300_000
    fork = mp.get_context("fork")
    runs = {"one": one,
            "threads": lambda n: two(threading.Thread, n),
            "processes": lambda n: two(fork.Process, n)}
    best = {}
    for _ in range(3):       # in turns: a busy moment slows all alike
        for name, run in runs.items():
            ms = timed(run, n)
            best[name] = min(best.get(name, ms), ms)
    print("version", sys.version.split()[0])
    print("gil", getattr(sys, "_is_gil_enabled", lambda: True)())
    for name, ms in best.items():
        print(f"{name} {ms:.1f} ms")
