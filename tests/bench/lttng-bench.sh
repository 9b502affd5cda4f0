#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The enabled-LTTng part of the gate benchmark (run by gate-cost.py): a
# private session daemon (tests/lttng/lttng-session.sh), a session recording
# iommufd:bench_* to disk, and PROGRAM run with the provider preloaded, timing
# RUNS runs of N events.  Prints PROGRAM's "key value" lines, "recorded N"
# (events in the trace) when babeltrace2 could count them, and '# ' comments.
# Exit status: 0 measured, 77 cannot run (the reason on a "skip:" line),
# anything else failed.
# usage: lttng-bench.sh LTTNG-SESSION-SH PROGRAM PROVIDER.so RUNS N
set -u
if [ $# -ne 5 ]; then
  echo "usage: lttng-bench.sh LTTNG-SESSION-SH PROGRAM PROVIDER.so RUNS N" >&2
  exit 2
fi
session_sh=$1 prog=$2 provider=$3 runs=$4 n=$5

tools=(lttng lttng-sessiond)
[ "$(id -u)" -eq 0 ] && tools+=(setpriv)
for tool in "${tools[@]}"; do
  if ! command -v "$tool" >/dev/null; then
    echo "skip: $tool is not installed (apt-get install lttng-tools)"
    exit 77
  fi
done

# shellcheck source=../lttng/lttng-session.sh
. "$session_sh"
trap lttng_teardown EXIT
if ! lttng_setup; then
  echo "# lttng-sessiond did not start"
  exit 1
fi
echo "# lttng-sessiond running as ${LT_USER:-$(id -un)} (pid $LT_PID)"

cp "$prog" "$provider" "$LT_DIR/"
prog_copy="$LT_DIR/$(basename "$prog")"
provider_copy="$LT_DIR/$(basename "$provider")"
[ -n "$LT_USER" ] && chown "$LT_USER" "$prog_copy" "$provider_copy"

log="$LT_DIR/lttng.log"
trace_dir="$LT_DIR/trace"
# A channel of its own with room for bursts: 8 sub-buffers of 1 MiB per CPU.
if ! { lt_run lttng create iommufd-bench --output="$trace_dir" &&
       lt_run lttng enable-channel -u --subbuf-size=1M --num-subbuf=8 bench &&
       lt_run lttng enable-event -u -c bench 'iommufd:bench_*' &&
       lt_run lttng start; } >"$log" 2>&1; then
  echo "# the LTTng session could not be set up:"
  sed 's/^/#   /' "$log"
  exit 1
fi

rc=0
lt_run env LD_PRELOAD="$provider_copy" "$prog_copy" --expect-enabled time "$runs" "$n" \
  2>"$LT_DIR/prog.err" || rc=$?
if [ $rc -ne 0 ]; then
  echo "# the program failed (exit $rc):"
  sed 's/^/#   /' "$LT_DIR/prog.err"
fi
lt_run lttng stop >"$LT_DIR/stop.log" 2>&1
grep -i 'discarded\|lost' "$LT_DIR/stop.log" | sed 's/^/# lttng stop: /'
lt_run lttng destroy >>"$log" 2>&1

if [ $rc -eq 0 ] && command -v babeltrace2 >/dev/null; then
  # sink.utils.counter prints blocks of "<count> <message type>" lines; the
  # last block has the totals
  babeltrace2 "$trace_dir" --component=sink.utils.counter >"$LT_DIR/count.txt" 2>&1
  recorded=$(awk '$2 == "Event" {n = $1} END {print n}' "$LT_DIR/count.txt")
  discarded=$(awk '$2 == "Discarded" && $3 == "event" {n = $1} END {print n}' "$LT_DIR/count.txt")
  [ -n "$recorded" ] && echo "recorded $recorded"
  [ -n "$discarded" ] && echo "discarded_event_messages $discarded"
fi
exit $rc
