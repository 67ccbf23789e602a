#!/usr/bin/env bash
# jacobi with mpirun; see run-app.sh and docs/apps/jacobi.md. Example:
#   apps/run-jacobi.sh -np 2 --executors db.json --offload 0.5 --check
exec "$(dirname "${BASH_SOURCE[0]}")/run-app.sh" jacobi "$@"
