"""`python -m bench [options]`: the benchmark that bin/bench runs (docs/BENCHMARKS.md).

The options are parsed before Django is set up, so `--help` needs no settings.
"""

import os
import sys

import django

from bench import run


def main(argv=None):
    options = vars(run.argument_parser().parse_args(argv))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designpi.settings")
    django.setup()
    try:
        run.main(options)
    except run.BenchError as error:
        sys.exit(f"bench: {error}")


if __name__ == "__main__":
    main()
