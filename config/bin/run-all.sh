#!/usr/bin/env bash
# Run the web server, a Celery worker and Celery beat in the foreground; one Ctrl-C stops all three.
set -uo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
mkdir -p var

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "[run] stopping web, worker and beat"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null
  exit 0
}
trap stop INT TERM EXIT

$PY manage.py runserver "$HOST:$PORT" --noreload & pids+=($!)
.venv/bin/celery -A config worker --loglevel=INFO --concurrency=2 --hostname="worker@%h" & pids+=($!)
.venv/bin/celery -A config beat --loglevel=INFO --schedule=var/celerybeat-schedule & pids+=($!)

sleep 2
cat <<MSG

  Helpdesk is running at http://$HOST:$PORT/   (API docs: http://$HOST:$PORT/api/v1/docs/)
  Demo sign-ins:
    agent     agent@demo.helpdesk     / demo-agent-pass
    team lead lead@demo.helpdesk      / demo-lead-pass
    manager   manager@demo.helpdesk   / demo-manager-pass
    admin     admin@demo.helpdesk     / demo-admin-pass   (also /admin/)
    customer  customer@acme.example   / demo-customer-pass
  Press Ctrl-C once to stop web, worker and beat.

MSG
# If any one of the three dies, stop the others rather than limp on half-running.
wait -n
echo "[run] a process exited; shutting down the rest"
stop
