import sys

from server.cli import main

if __name__ == "__main__":  # engines that spawn worker processes re-import this module
    sys.exit(main())
