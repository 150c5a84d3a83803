#!/usr/bin/env bash
# Start the app: a Celery worker in the background and gunicorn in the
# foreground. Ctrl-C (or SIGTERM) stops both. `make run` prepares the database
# first (migrate, collectstatic, seed_demo) and then execs this script.
#
# HOST (default 127.0.0.1) and PORT (default 8000) choose the address.
set -euo pipefail
cd "$(dirname "$0")/.."

HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
VENV=${VENV:-.venv}
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-readiness.settings.dev}

mkdir -p var
if [ -z "${REDIS_URL:-}" ]; then
    # kombu's filesystem broker does not create its folders itself.
    mkdir -p var/celery/out var/celery/processed var/celery/control
fi

worker_pid=""
web_pid=""

# shellcheck disable=SC2317  # called by the trap
stop_all() {
    trap - EXIT INT TERM
    for pid in $web_pid $worker_pid; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    # Give both a moment to finish their current request or task.
    for _ in $(seq 1 20); do
        alive=0
        for pid in $web_pid $worker_pid; do
            if kill -0 "$pid" 2>/dev/null; then
                alive=1
            fi
        done
        if [ "$alive" = 0 ]; then
            break
        fi
        sleep 0.5
    done
    for pid in $web_pid $worker_pid; do
        kill -KILL "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap stop_all EXIT

# --beat: the worker also runs the scheduler (one process, nothing more to start).
"$VENV/bin/celery" -A readiness worker --beat --schedule var/celerybeat-schedule \
    --loglevel=INFO --concurrency=2 &
worker_pid=$!

"$VENV/bin/gunicorn" readiness.wsgi:application \
    --bind "$HOST:$PORT" --workers 2 --access-logfile - &
web_pid=$!

# Wait for the server to accept connections, then say where it is.
for _ in $(seq 1 60); do
    if ! kill -0 "$web_pid" 2>/dev/null; then
        echo "gunicorn did not start (see its output above)" >&2
        exit 1
    fi
    if (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; then
        break
    fi
    sleep 0.5
done

# `make run` saved seed_demo's output (the demo logins); seed_demo is idempotent,
# so without that file ask it again.
if [ -s var/demo-logins.txt ]; then
    # Only the logins block (the seed's own output may include the demo's emails).
    logins=$(sed -n '/^Demo logins/,$p' var/demo-logins.txt)
elif logins=$("$VENV/bin/python" manage.py seed_demo); then
    printf '%s\n' "$logins" >var/demo-logins.txt
else
    logins=" (manage.py seed_demo failed, see above: no demo logins)"
fi

cat <<EOF

============================================================
 Readiness is running at http://$HOST:$PORT/
 (web server pid $web_pid, Celery worker and scheduler pid $worker_pid)

$logins

 Press Ctrl-C to stop both.
============================================================

EOF

# Serve until one of the two stops; the trap then stops the other.
status=0
wait -n "$web_pid" "$worker_pid" || status=$?
if ! kill -0 "$worker_pid" 2>/dev/null; then
    echo "The Celery worker stopped (exit $status); stopping the web server." >&2
else
    echo "The web server stopped (exit $status); stopping the Celery worker." >&2
fi
exit "$status"
