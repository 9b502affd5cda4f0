# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the LTTng test and benchmark: a private LTTng session daemon.
#
# The daemon runs as an unprivileged user with its own LTTNG_HOME: as root,
# lttng-sessiond ignores LTTNG_HOME and uses the system run directory.  When
# run as root, everything runs as `nobody` from a private work directory that
# holds copies of the programs it needs (the build tree may not be readable
# by nobody).
#
#   lttng_setup           make $LT_DIR, start the daemon ($LT_PID)
#   lt_run CMD...         run CMD as the tracing user with LTTNG_HOME set
#   lttng_teardown        stop the daemon by its pid, remove $LT_DIR

lttng_setup() {
  LT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/iommufd-lttng.XXXXXX") || return 1
  chmod 0755 "$LT_DIR"
  mkdir -p "$LT_DIR/home"
  LT_USER=""
  if [ "$(id -u)" -eq 0 ]; then
    LT_USER=nobody
    chown -R nobody:nogroup "$LT_DIR"
  fi
  export LTTNG_HOME="$LT_DIR/home"
  # Wait for the daemon when an instrumented program starts (ms).
  export LTTNG_UST_REGISTER_TIMEOUT=20000
  lt_run lttng-sessiond --daemonize --no-kernel \
    --pidfile "$LT_DIR/home/sessiond.pid" >"$LT_DIR/sessiond.log" 2>&1 || {
    echo "# lttng-sessiond did not start:"; sed 's/^/# /' "$LT_DIR/sessiond.log"; return 1; }
  LT_PID=$(cat "$LT_DIR/home/sessiond.pid" 2>/dev/null)
  [ -n "$LT_PID" ] && kill -0 "$LT_PID" 2>/dev/null
}

lt_run() {
  if [ -n "$LT_USER" ]; then
    setpriv --reuid="$LT_USER" --regid=nogroup --clear-groups \
      env HOME="$LTTNG_HOME" LTTNG_HOME="$LTTNG_HOME" \
      LTTNG_UST_REGISTER_TIMEOUT="$LTTNG_UST_REGISTER_TIMEOUT" "$@"
  else
    env HOME="$LTTNG_HOME" "$@"
  fi
}

lttng_teardown() {
  if [ -n "${LT_PID:-}" ]; then
    kill "$LT_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$LT_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$LT_PID" 2>/dev/null
  fi
  [ -n "${LT_DIR:-}" ] && rm -rf "$LT_DIR"
}
