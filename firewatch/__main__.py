from firewatch.cli import main
from firewatch.embedded.glibc_heap import start_trimmer_if_asked
from firewatch.embedded.memtrace import start_if_asked

start_if_asked()  # off unless FIREWATCH_MEMTRACE_S is set (a soak's allocation trace)
start_trimmer_if_asked()  # off unless FIREWATCH_MALLOC_TRIM_S is set (opt-in, glibc only)
raise SystemExit(main())
