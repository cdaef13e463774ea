"""``python -m plugboard``: the ``plugboard`` command (see ``plugboard.cli``)."""

import sys

from plugboard.cli import main

sys.exit(main())
