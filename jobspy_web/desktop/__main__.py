"""`python -m jobspy_web.desktop`: see jobspy_web.desktop.launcher."""

import sys

from jobspy_web.desktop.launcher import main

if __name__ == "__main__":
    sys.exit(main())
