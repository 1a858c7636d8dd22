"""``python -m loghaven.bench``: run the benchmark without the ``loghaven`` CLI."""

import sys

from loghaven.bench.runner import main

sys.exit(main())
