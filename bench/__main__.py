"""`python -m bench [options]`: the benchmark bin/bench runs (docs/BENCHMARKS.md).

The same command runs twice: as the parent, which makes the benchmark database
and starts itself again as the child (bench/launch.py); as the child, which
measures on it (bench/run.py). The options are parsed before Django is set up,
so `--help` needs no settings.
"""

import os
import shutil
import sys

import django

from bench.launch import CHILD_FLAG, BenchError, argument_parser, launch
from bench.server import ServerError


def main(argv=None):
    options = vars(argument_parser().parse_args(argv))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designpi.settings")
    django.setup()
    try:
        if not shutil.which("wrk"):
            raise BenchError("wrk is not installed: sudo apt-get install wrk")
        if os.environ.get(CHILD_FLAG):
            from bench.run import run  # imports models: only after django.setup()

            run(options)
        else:
            launch(options)
    except (BenchError, ServerError) as error:
        sys.exit(f"bench: {error}")


if __name__ == "__main__":
    main()
