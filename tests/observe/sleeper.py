"""A program that tells its pid and sleeps (10 s at the most), for the
tests that interrupt it or procdemo."""

import os
import time

from truth import tell

tell(sleeper=os.getpid())
time.sleep(10)
