"""The benchmark's ASGI entry point: the live process exactly as shipped
(`live.asgi:application`), plus the benchmark's per-process query counter
(bench/querycount.py, active only when BENCH_QUERY_COUNTERS is set).

Only `python -m bench --live` starts this module; production serves live.asgi.
"""

from live.asgi import application  # noqa: F401  (sets Django up)

from bench.querycount import install  # noqa: E402

install()
