#!/usr/bin/env bash
# matmul with mpirun; see run-app.sh and docs/apps/matmul.md. Example:
#   apps/run-matmul.sh -np 2 --executors db.json --offload 0.5 --check
exec "$(dirname "${BASH_SOURCE[0]}")/run-app.sh" matmul "$@"
