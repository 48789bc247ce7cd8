"""Imported by the benchmark (and preloaded into the scraper forkserver): JobSpy's random
3-7 s pauses between pages become a fixed 1 s, so both pipelines wait exactly alike."""

from jobspy.linkedin import LinkedIn
from jobspy.ziprecruiter import ZipRecruiter

PAUSE = (1.0, 1.0)
LinkedIn.delay = PAUSE
ZipRecruiter.delay = PAUSE
