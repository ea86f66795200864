"""An exec from a thread that is not the main one: the kernel ends every
other thread, and the thread that called execv goes on as the process,
with the process's pid. The program run tells the pid it has ($$)."""

import os
import shutil
import threading

from truth import tell

AFTER = 'printf \'{"after_exec": %d}\\n\' $$ >>"$OBSERVE_TRUTH"'


def run_sh():
    tell(thread=threading.get_native_id())
    shell = shutil.which("sh")
    os.execv(shell, [shell, "-c", AFTER])


def main():
    tell(main=os.getpid(), shell_path=shutil.which("sh"))
    threading.Thread(target=run_sh).start()
    threading.Event().wait(10)


main()
