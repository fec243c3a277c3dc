import sys

from ocrstudio.cli import main

sys.exit(main())
