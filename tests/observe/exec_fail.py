"""Failing execs: subprocess.run of a program that does not exist, `sh -c`
of a command that does not exist, and os.execv of a missing file in a
forked child. Ends with exit code 3."""

import errno
import os
import shutil
import subprocess
import sys

from truth import tell

MISSING = "/nonexistent/prog"


def main():
    tell(main=os.getpid())
    try:
        subprocess.run([MISSING])
    except OSError as error:
        tell(subprocess_error=errno.errorcode[error.errno], filename=error.filename)
    # sh by its full path: subprocess's own PATH search would fail execs too.
    shell = subprocess.Popen([shutil.which("sh"), "-c", "no-such-command-xyz"], stderr=subprocess.DEVNULL)
    tell(shell=shell.pid, shell_path=shutil.which("sh"), returncode=shell.wait())
    child = os.fork()
    if child == 0:
        try:
            os.execv(MISSING, [MISSING])
        except OSError as error:
            tell(execv_failed=os.getpid(), error=errno.errorcode[error.errno])
        os._exit(126)
    waited, status = os.waitpid(child, 0)
    tell(waited=waited, exit_code=os.waitstatus_to_exitcode(status))
    sys.exit(3)


main()
