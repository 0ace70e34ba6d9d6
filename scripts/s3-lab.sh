#!/bin/sh
# A real S3 endpoint for the tests: a throw-away single-node Ceph cluster (ceph-mon + ceph-osd on
# memstore + radosgw) on 127.0.0.1. See /work/shared/reference/local-s3.md for the background.
#
#   sh scripts/s3-lab.sh start   start a fresh lab (stops a previous one in the same lab dir first)
#   sh scripts/s3-lab.sh env     print the `export S3CACHE_TEST_...` lines (eval "$(... env)")
#   sh scripts/s3-lab.sh stop    kill the lab's processes and delete the lab dir
#
# If S3CACHE_TEST_ENDPOINT is already set (MinIO, AWS, anything S3-compatible, together with
# S3CACHE_TEST_ACCESS_KEY_ID, S3CACHE_TEST_SECRET_ACCESS_KEY and S3CACHE_TEST_REGION), `start`
# starts nothing and `env` prints those variables back.
#
# All state (config, data, logs, sockets, pids) lives in one lab dir: $S3CACHE_LAB_DIR, default
# <repo>/.lab/s3. Ports are picked free at start, so labs in different dirs can run side by side.
# Environment knobs: S3CACHE_LAB_TIMEOUT (seconds to wait for a working S3, default 120),
# S3CACHE_LAB_MEMSTORE_BYTES (OSD capacity held in RAM, default 6 GiB).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
lab=${S3CACHE_LAB_DIR:-$root/.lab/s3}
case $lab in /*) ;; *) lab=$(pwd)/$lab ;; esac
conf=$lab/ceph.conf
marker=$lab/.s3-lab # only a dir holding this file is ever deleted by `stop`
timeout_s=${S3CACHE_LAB_TIMEOUT:-120}
memstore_bytes=${S3CACHE_LAB_MEMSTORE_BYTES:-6442450944}
region=us-east-1
rgw_name=client.rgw.lab

log() { echo "s3-lab: $*" >&2; }

# ---------------------------------------------------------------------------------------------
# Helpers

# Random lower-case hex string of $1 characters.
rand_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n' | cut -c1-"$1"; }

# $1 distinct free TCP ports on 127.0.0.1. They are drawn at random below the kernel's ephemeral
# range (which starts at 32768 here), verified by binding them, then released: the outgoing
# connections the daemons open during start-up take ephemeral ports, so they cannot grab ours in
# the moment between this check and the daemon's own bind.
free_ports() {
  node -e '
    const net = require("node:net");
    const fs = require("node:fs");
    const n = Number(process.argv[1]);
    let low = 32768;
    try { low = Number(fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").split(/\s+/)[0]); } catch {}
    const min = 10000;
    const servers = [];
    let tries = 0;
    const next = () => {
      if (servers.length === n) {
        console.log(servers.map((s) => s.address().port).join(" "));
        for (const s of servers) s.close();
        return;
      }
      // Fall back to a kernel-chosen port if the range below the ephemeral one is too small or busy.
      const port = low - min > 1000 && tries++ < 200 ? min + Math.floor(Math.random() * (low - min)) : 0;
      const s = net.createServer();
      s.once("error", next);
      s.listen(port, "127.0.0.1", () => { servers.push(s); next(); });
    };
    next();
  ' "$1"
}

# Exit 0 when a SigV4-signed ListBuckets against $1 succeeds (HTTP 200), non-zero otherwise.
# Signed on purpose: a TCP connect or an anonymous request succeeds before RGW can authenticate
# users. Plain node (no SDK) so the lab does not depend on node_modules.
s3_ready() {
  node -e '
    const crypto = require("node:crypto");
    const http = require("node:http");
    const [endpoint, ak, sk, region] = process.argv.slice(1);
    const url = new URL(endpoint);
    const amzDate = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
    const day = amzDate.slice(0, 8);
    const emptySha = crypto.createHash("sha256").update("").digest("hex");
    const headers = { host: url.host, "x-amz-content-sha256": emptySha, "x-amz-date": amzDate };
    const signed = Object.keys(headers).sort();
    const canonical = ["GET", "/", "", ...signed.map((h) => `${h}:${headers[h]}`), "",
      signed.join(";"), emptySha].join("\n");
    const scope = `${day}/${region}/s3/aws4_request`;
    const toSign = ["AWS4-HMAC-SHA256", amzDate, scope,
      crypto.createHash("sha256").update(canonical).digest("hex")].join("\n");
    const hmac = (key, data) => crypto.createHmac("sha256", key).update(data).digest();
    let key = hmac(`AWS4${sk}`, day);
    for (const part of [region, "s3", "aws4_request"]) key = hmac(key, part);
    const signature = crypto.createHmac("sha256", key).update(toSign).digest("hex");
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${ak}/${scope}, ` +
      `SignedHeaders=${signed.join(";")}, Signature=${signature}`;
    const req = http.get({ hostname: url.hostname, port: url.port, path: "/", headers, timeout: 5000 },
      (res) => { res.resume(); process.exit(res.statusCode === 200 ? 0 : 1); });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => process.exit(1));
  ' "$1" "$2" "$3" "$region"
}

# Ceph tools with our config. `timeout` because a misconfigured client retries for minutes.
ceph_cli() { timeout 60 ceph -c "$conf" "$@"; }
rgw_admin() { timeout 60 radosgw-admin -c "$conf" "$@"; }

# Start a daemon in the foreground of its own session (so Ctrl-C in the calling shell does not hit
# it and it outlives this script), with all file descriptors redirected (so it cannot hold a
# caller's pipe open), and record its PID. `setsid` execs the command when it is not a process
# group leader, which a background job of a non-interactive shell never is: $! is the daemon.
spawn() {
  name=$1
  shift
  setsid "$@" -f -c "$conf" </dev/null >"$lab/log/$name.out" 2>&1 &
  echo "$name $!" >>"$lab/pids"
}

# PIDs from the lab's pid list that are still running and still ours: the command line must
# mention this lab's ceph.conf, so a recycled PID is never killed.
lab_pids() {
  [ -f "$lab/pids" ] || return 0
  while read -r _name pid; do
    if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$conf"; then
      echo "$pid"
    fi
  done <"$lab/pids"
}

# Wait up to $1 seconds for the lab's processes to exit; status 0 when none is left.
wait_gone() {
  i=0
  while [ -n "$(lab_pids)" ]; do
    [ "$i" -lt "$(($1 * 10))" ] || return 1
    sleep 0.1
    i=$((i + 1))
  done
}

show_logs() {
  for f in "$lab"/log/*; do
    [ -s "$f" ] || continue
    echo "----- tail of $f" >&2
    tail -n 25 "$f" >&2
  done
}

# ---------------------------------------------------------------------------------------------
# Commands

install_ceph() {
  missing=
  for bin in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool; do
    command -v "$bin" >/dev/null 2>&1 || missing=1
  done
  [ -z "$missing" ] && return 0
  log "installing Ceph (radosgw ceph-mon ceph-osd ceph-common) from Debian packages"
  [ "$(id -u)" = 0 ] || { log "Ceph is not installed and this is not root: install radosgw ceph-mon ceph-osd ceph-common, or set S3CACHE_TEST_ENDPOINT"; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends radosgw ceph-mon ceph-osd ceph-common >/dev/null
}

stop_lab() {
  [ -d "$lab" ] || return 0
  if [ ! -f "$marker" ]; then
    if [ -z "$(ls -A "$lab")" ]; then rmdir "$lab"; return 0; fi
    log "refusing to delete $lab: it is not a lab dir (no $marker)"
    exit 1
  fi
  pids=$(lab_pids)
  if [ -n "$pids" ]; then
    # shellcheck disable=SC2086 # one word per PID
    kill -TERM $pids 2>/dev/null || true
    # SIGKILL after a short grace: radosgw may ignore SIGTERM once it has served traffic (or take
    # seconds to shut down), and a memstore OSD starts dumping its whole store to disk on SIGTERM,
    # which is pointless for a lab that is deleted right after.
    if ! wait_gone 2; then
      pids=$(lab_pids)
      # shellcheck disable=SC2086
      [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
      wait_gone 10 || { log "lab processes survived SIGKILL: $(lab_pids)"; exit 1; }
    fi
  fi
  rm -rf "$lab"
}

print_env() {
  if [ -n "${S3CACHE_TEST_ENDPOINT:-}" ] && [ -z "${S3CACHE_TEST_LAB_DIR:-}" ]; then
    for v in S3CACHE_TEST_ENDPOINT S3CACHE_TEST_ACCESS_KEY_ID S3CACHE_TEST_SECRET_ACCESS_KEY S3CACHE_TEST_REGION; do
      eval "val=\${$v:-}"
      printf "export %s='%s'\n" "$v" "$val"
    done
    return 0
  fi
  [ -f "$lab/env" ] || { log "no lab running in $lab: run 'sh scripts/s3-lab.sh start'"; exit 1; }
  cat "$lab/env"
}

start_lab() {
  # An externally provided endpoint wins. S3CACHE_TEST_LAB_DIR is set by our own env file, so a
  # shell that sourced a lab's env can still restart the lab.
  if [ -n "${S3CACHE_TEST_ENDPOINT:-}" ] && [ -z "${S3CACHE_TEST_LAB_DIR:-}" ]; then
    log "S3CACHE_TEST_ENDPOINT is set ($S3CACHE_TEST_ENDPOINT): using it, starting nothing"
    return 0
  fi
  install_ceph
  stop_lab
  started=$(date +%s)
  # The daemons run in their own sessions: an interrupted start must stop them itself.
  trap 'stop_lab; exit 130' INT
  trap 'stop_lab; exit 143' TERM

  mkdir -p "$lab/mon" "$lab/osd" "$lab/rgw" "$lab/run" "$lab/log" "$lab/crash"
  touch "$marker"
  : >"$lab/pids"

  # shellcheck disable=SC2046 # two words
  set -- $(free_ports 2)
  mon_port=$1
  rgw_port=$2
  fsid=$(cat /proc/sys/kernel/random/uuid)
  access_key=$(rand_hex 20 | tr 'a-f' 'A-F')
  secret_key=$(rand_hex 40)

  cat >"$conf" <<EOF
# Generated by scripts/s3-lab.sh: a disposable single-node cluster, no cephx.
[global]
fsid = $fsid
mon_host = v2:127.0.0.1:$mon_port
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
# Without these, clients cannot reach the monitor over msgr2 when cephx is off (they retry for 5 min).
ms_mon_client_mode = crc
ms_client_mode = crc
keyring = $lab/keyring
run_dir = $lab/run
crash_dir = $lab/crash
pid_file = $lab/run/\$name.pid
admin_socket = $lab/run/\$name.asok
log_file = $lab/log/\$name.log
mon_cluster_log_file = $lab/log/cluster.log
log_to_stderr = false
err_to_stderr = true
# One OSD: pools of size 1, few PGs, no autoscaler, replicas chosen across OSDs, not hosts.
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
mon_warn_on_pool_no_redundancy = false
# radosgw creates its pools one after the other; each waits for a paxos round (default 1 s).
paxos_propose_interval = 0.1

[mon]
mon_data = $lab/mon
mon_initial_members = a

[osd]
osd_data = $lab/osd
osd_objectstore = memstore
memstore_device_bytes = $memstore_bytes

[$rgw_name]
rgw_data = $lab/rgw
rgw_frontends = beast endpoint=127.0.0.1:$rgw_port
# A lifecycle "day" lasts 10 seconds, so expiration rules can be tested for real.
rgw_lc_debug_interval = 10
# Free deleted data within a minute instead of hours (memstore keeps it in RAM).
rgw_gc_obj_min_wait = 30
rgw_gc_processor_period = 30
# STS (AssumeRoleWithWebIdentity) and the IAM API for roles and OIDC providers.
rgw_s3_auth_use_sts = true
rgw_sts_key = $(rand_hex 16)
EOF

  fail() {
    log "start failed: $*"
    show_logs
    stop_lab || true
    exit 1
  }

  monmaptool --create --clobber --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$lab/monmap" \
    >"$lab/log/setup.out" 2>&1 || fail "monmaptool"
  ceph-mon -c "$conf" -i a --mkfs --monmap "$lab/monmap" >>"$lab/log/setup.out" 2>&1 || fail "ceph-mon --mkfs"
  spawn mon ceph-mon -i a

  # Register the OSD with the monitor (this also waits for the monitor to answer), then create
  # its store and start it. It adds itself to the CRUSH map on boot.
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  osd_id=$(ceph_cli osd new "$osd_uuid" 2>>"$lab/log/setup.out") || fail "ceph osd new"
  ceph-osd -c "$conf" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >>"$lab/log/setup.out" 2>&1 ||
    fail "ceph-osd --mkfs"
  spawn osd ceph-osd -i "$osd_id"

  # radosgw creates its pools, then listens. The user is created in parallel (radosgw-admin
  # creates whatever pools it needs itself).
  spawn rgw radosgw -n "$rgw_name"
  rgw_admin user create --uid=s3cache-test --display-name="s3cache tests" \
    --access-key="$access_key" --secret="$secret_key" >>"$lab/log/setup.out" 2>&1 || fail "radosgw-admin user create"
  # IAM/STS admin rights so tests can create roles, OIDC providers and user policies.
  rgw_admin caps add --uid=s3cache-test --caps="roles=*;oidc-provider=*;user-policy=*" \
    >>"$lab/log/setup.out" 2>&1 || fail "radosgw-admin caps add"

  endpoint=http://127.0.0.1:$rgw_port
  deadline=$(($(date +%s) + timeout_s))
  until s3_ready "$endpoint" "$access_key" "$secret_key"; do
    [ -n "$(lab_pids)" ] || fail "the lab's processes exited"
    for name in mon osd rgw; do
      pid=$(awk -v n="$name" '$1 == n { print $2 }' "$lab/pids")
      kill -0 "$pid" 2>/dev/null || fail "$name (pid $pid) exited"
    done
    [ "$(date +%s)" -lt "$deadline" ] || fail "no signed S3 request succeeded within ${timeout_s}s at $endpoint"
    sleep 0.2
  done

  cat >"$lab/env.tmp" <<EOF
export S3CACHE_TEST_ENDPOINT='$endpoint'
export S3CACHE_TEST_ACCESS_KEY_ID='$access_key'
export S3CACHE_TEST_SECRET_ACCESS_KEY='$secret_key'
export S3CACHE_TEST_REGION='$region'
export S3CACHE_TEST_LIFECYCLE_FAST=1
export S3CACHE_TEST_STS=1
export S3CACHE_TEST_LAB_DIR='$lab'
EOF
  mv "$lab/env.tmp" "$lab/env"
  trap - INT TERM
  log "S3 ready at $endpoint in $(($(date +%s) - started))s (lab dir $lab; stop with: sh scripts/s3-lab.sh stop)"
}

case ${1:-} in
start) start_lab ;;
stop) stop_lab ;;
env) print_env ;;
*)
  echo "usage: sh scripts/s3-lab.sh start|stop|env" >&2
  exit 2
  ;;
esac
