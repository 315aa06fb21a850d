"""Owns `make bench` and `make loadtest` and their commands (bench_seed, bench_run); an app only
for those commands. May import any app: nothing imports it (the top of the layers).

`make bench`: a large seeded PostgreSQL database and the timings taken against it.

`bench.seed` bulk-loads the data set, `bench.scenarios` times the desk, knowledge-base and SLA
code paths in process, `bench.load` measures portal ticket creation over real HTTP, and
`bench.report` prints the table, writes the JSON and refreshes docs/benchmarks.md.
"""
