#!/usr/bin/env bash
# blackscholes with mpirun; see run-app.sh and docs/apps/blackscholes.md. Example:
#   apps/run-blackscholes.sh -np 2 --executors db.json --offload 0.5 --check
exec "$(dirname "${BASH_SOURCE[0]}")/run-app.sh" blackscholes "$@"
