import multiprocessing as mp
import sys, threading, time

def work(n):
    total = 0
    for i in range(n):
        total += i

def best_of_3(run, n):
    times = []
    for _ in range(3):
        started = time.perf_counter()
        run(n)
        times.append((time.perf_counter() - started) * 1000)
    return min(times)

def one(n):
    work(2 * n)          # one thread, two units of work

def two(start_worker, n):
    workers = [start_worker(target=work, args=(n,)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()

if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300_000
    fork = mp.get_context("fork")
    print("version", sys.version.split()[0])
    print(f"one {best_of_3(one, n):.1f} ms")
    threads = best_of_3(lambda n: two(threading.Thread, n), n)
    print(f"threads {threads:.1f} ms")
    processes = best_of_3(lambda n: two(fork.Process, n), n)
    print(f"processes {processes:.1f} ms")
