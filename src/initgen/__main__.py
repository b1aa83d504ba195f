import sys

from initgen.cli import main

sys.exit(main())
