# Shared by rfaas-prolog and rfaas-epilog (sourced, not run): configuration, logging, HTTP calls.

RFAAS_SLURM_CONFIG=${RFAAS_SLURM_CONFIG:-/etc/rfaas/slurm.conf}
if [ ! -r "$RFAAS_SLURM_CONFIG" ]; then
  echo "rfaas-slurm: cannot read $RFAAS_SLURM_CONFIG" >&2
  exit 1
fi
# shellcheck source=/dev/null
. "$RFAAS_SLURM_CONFIG"
: "${RFAAS_RM_URL:?RFAAS_RM_URL is not set in $RFAAS_SLURM_CONFIG}"
: "${RFAAS_ADMIN_TOKEN_FILE:?RFAAS_ADMIN_TOKEN_FILE is not set in $RFAAS_SLURM_CONFIG}"
RFAAS_DRAIN_TIMEOUT=${RFAAS_DRAIN_TIMEOUT:-8}
RFAAS_SLURM_LOG=${RFAAS_SLURM_LOG:-/var/log/rfaas-slurm.log}
RFAAS_NODE=${RFAAS_NODE_NAME:-${SLURMD_NODENAME:-$(hostname)}}

now_ms() { date +%s%3N; }

log() {
  echo "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) $RFAAS_SCRIPT job=${SLURM_JOB_ID:-?} node=$RFAAS_NODE $*" >>"$RFAAS_SLURM_LOG" 2>/dev/null \
    || echo "$RFAAS_SCRIPT: $*" >&2
}

# rm_call METHOD PATH: prints the body, sets RM_STATUS (000 when unreachable). The token goes to
# curl on stdin, never on a command line that `ps` shows.
rm_call() {
  local out
  out=$(printf 'header = "Authorization: Bearer %s"\n' "$(cat "$RFAAS_ADMIN_TOKEN_FILE")" |
    curl -sS --max-time 5 --config - -X "$1" -w '\n%{http_code}' "$RFAAS_RM_URL$2" 2>/dev/null)
  RM_STATUS=${out##*$'\n'}
  RM_BODY=${out%$'\n'*}
  [ -n "$RM_STATUS" ] || RM_STATUS=000
}

# Lease executors of rFaaS running on this node: processes in this network namespace (on a real
# node: all of them) whose command runs ExecutorMain, except spare executors (no lease) and the
# executor manager's AOT-cache training run. One grep finds the candidates, so a busy node's
# thousands of processes cost one scan, not one fork each.
local_executors() {
  local self file pid cmd n=0
  self=$(readlink /proc/self/ns/net)
  for file in $(grep -l -a -s -F org.rfaas.executor.ExecutorMain /proc/[0-9]*/cmdline); do
    pid=${file#/proc/}; pid=${pid%/cmdline}
    [ "$(readlink "/proc/$pid/ns/net" 2>/dev/null)" = "$self" ] || continue
    cmd=$(tr '\0' ' ' <"$file" 2>/dev/null) || continue
    case "$cmd" in
      *org.rfaas.executor.ExecutorMain*" --spare"*|*org.rfaas.executor.ExecutorMain*" --train"*) ;;
      *org.rfaas.executor.ExecutorMain*) n=$((n + 1)) ;;
    esac
  done
  echo "$n"
}
