"""What an observed program says about itself, for the tests of
`procdemo observe`: one JSON object a line, appended to the file named by
the OBSERVE_TRUTH environment variable. Each line is one write(2) on an
O_APPEND descriptor, so lines written by several processes never mix."""

import json
import os
import time


def tell(**facts):
    line = (json.dumps(facts) + "\n").encode()
    fd = os.open(os.environ["OBSERVE_TRUTH"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def wait_for(condition, what, seconds=5.0):
    """Polls `condition` until it holds; a program that waits longer than
    `seconds` fails loudly rather than hanging its test."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {what}")
        time.sleep(0.001)


def state(pid):
    """The state letter of /proc/<pid>/stat (Z for a zombie)."""
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0]
