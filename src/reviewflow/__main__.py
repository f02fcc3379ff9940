import sys

from reviewflow.cli import main

sys.exit(main())
