import sys

from loghaven.cli import main

sys.exit(main())
