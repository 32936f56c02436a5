from firewatch.cli import main
from firewatch.embedded.memtrace import start_if_asked

start_if_asked()  # off unless FIREWATCH_MEMTRACE_S is set (a soak's allocation trace)
raise SystemExit(main())
