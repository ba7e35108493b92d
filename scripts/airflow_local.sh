#!/usr/bin/env bash
# Local Airflow 3 for Mirsad: SQLite metadata DB and config under .airflow/ inside the repo.
#
#   scripts/airflow_local.sh init              # airflow db migrate + the mirsad_duckdb pool (idempotent)
#   scripts/airflow_local.sh test DAG_ID       # run one DAG once in-process (`airflow dags test`)
#   scripts/airflow_local.sh demo              # init, then mirsad_ingest and mirsad_warehouse once each
#   scripts/airflow_local.sh standalone        # scheduler + UI on http://127.0.0.1:8080 only (AIRFLOW__API__PORT
#                                              # moves it; AIRFLOW__API__HOST=0.0.0.0 opens it to the network),
#                                              # the mirsad DAGs unpaused (MIRSAD_UNPAUSE=0: paused),
#                                              # parallelism = cores; user admin, password file printed on start
#   scripts/airflow_local.sh airflow ARGS...   # any airflow command with this environment
#
# Environment (all optional): MIRSAD_INBOX (default examples/inbox), MIRSAD_DATA_DIR (default data),
# MIRSAD_AIRFLOW_HOME (default .airflow), MIRSAD_VENV (default .venv).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MIRSAD_VENV:-$ROOT/.venv}"

export AIRFLOW_HOME="${MIRSAD_AIRFLOW_HOME:-$ROOT/.airflow}"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__DAGS_FOLDER="$ROOT/dags"
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="sqlite:///$AIRFLOW_HOME/airflow.db"
export AIRFLOW__LOGGING__BASE_LOG_FOLDER="$AIRFLOW_HOME/logs"
# Tasks report back to the API server: follow its port when AIRFLOW__API__PORT moves it off 8080.
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="${AIRFLOW__CORE__EXECUTION_API_SERVER_URL:-http://127.0.0.1:${AIRFLOW__API__PORT:-8080}/execution/}"
# The API server (UI) listens on the loopback interface only: a development server with a generated admin
# password is not for the network.
export AIRFLOW__API__HOST="${AIRFLOW__API__HOST:-127.0.0.1}"
export MIRSAD_INBOX="${MIRSAD_INBOX:-$ROOT/examples/inbox}"
export MIRSAD_DATA_DIR="${MIRSAD_DATA_DIR:-$ROOT/data}"
export PATH="$VENV/bin:$PATH"

AIRFLOW="$VENV/bin/airflow"

init() {
  mkdir -p "$AIRFLOW_HOME" "$MIRSAD_DATA_DIR"
  echo "airflow: preparing the metadata DB in $AIRFLOW_HOME (about 20 s)"
  "$AIRFLOW" db migrate >"$AIRFLOW_HOME/db-migrate.log" 2>&1 || { tail -n 40 "$AIRFLOW_HOME/db-migrate.log" >&2; exit 1; }
  "$AIRFLOW" pools set mirsad_duckdb 1 "DuckDB single writer" >/dev/null
  echo "airflow: metadata DB $AIRFLOW_HOME/airflow.db ready, pool mirsad_duckdb (1 slot)"
}

test_dag() {
  local dag_id="$1" log="$AIRFLOW_HOME/logs/dags-test-$1.log"
  mkdir -p "$AIRFLOW_HOME/logs"
  local start=$SECONDS
  if "$AIRFLOW" dags test "$dag_id" >"$log" 2>&1; then
    echo "airflow: $dag_id succeeded in $((SECONDS - start)) s (log: $log)"
  else
    echo "airflow: $dag_id FAILED (last lines of $log):" >&2
    tail -n 60 "$log" >&2
    exit 1
  fi
}

# `airflow standalone` sized to this machine, with the mirsad DAGs unpaused and the admin password's file named.
standalone() {
  local cores
  cores="$(nproc 2>/dev/null || echo 2)"
  # LocalExecutor starts up to `parallelism` task processes (Airflow's default 32): one per core is plenty here.
  export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-$(( cores > 2 ? cores : 2 ))}"
  export AIRFLOW__API__WORKERS="${AIRFLOW__API__WORKERS:-1}"
  if [ "${MIRSAD_UNPAUSE:-1}" = 1 ]; then
    # new DAGs are created unpaused; ones a previous `make demo` registered (paused) are unpaused here
    export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=False
    "$AIRFLOW" dags unpause --treat-dag-id-as-regex -y '^mirsad_' >/dev/null 2>&1 || true
    echo "airflow: mirsad_ingest (every 10 min over $MIRSAD_INBOX) and mirsad_warehouse are unpaused (MIRSAD_UNPAUSE=0 keeps them paused)"
  else
    echo "airflow: the DAGs start paused: unpause them in the UI, or: $0 airflow dags unpause mirsad_ingest"
  fi
  local passwords="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:-$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated}"
  echo "airflow: parallelism $AIRFLOW__CORE__PARALLELISM ($cores cores); UI http://localhost:${AIRFLOW__API__PORT:-8080}, user admin,"
  echo "airflow: password in $passwords (written on the first start)"
  exec "$AIRFLOW" standalone
}

cmd="${1:-}"
shift || true
case "$cmd" in
  init) init ;;
  test) [ $# -eq 1 ] || { echo "usage: $0 test DAG_ID" >&2; exit 2; }; test_dag "$1" ;;
  demo) init; test_dag mirsad_ingest; test_dag mirsad_warehouse ;;
  standalone) init; standalone ;;
  airflow) exec "$AIRFLOW" "$@" ;;
  *) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
