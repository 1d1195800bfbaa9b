#!/usr/bin/env bash
# Installs the system packages the test suite needs (Debian/Ubuntu): postfix, openssl.
#
# - Idempotent and non-interactive; runs `apt-get update` only when a package is missing.
# - Postfix is preseeded with debconf "No configuration": no /etc/postfix/main.cf is
#   written and the default instance is not started. The tests run their own private
#   instance (test/helpers/postfix.ts) on 127.0.0.1 with a config dir in a temp dir.
# - Afterwards makes sure no default Postfix instance is running (and so none listens on
#   port 25). Set MXPROBE_KEEP_SYSTEM_POSTFIX=1 to leave an already-configured system
#   Postfix running (e.g. on a developer machine that uses it as its MTA).
set -euo pipefail

PACKAGES=(postfix openssl)

log() { printf 'install-test-deps: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  die "must run as root (or with passwordless sudo)"
fi
as_root() { "${SUDO[@]}" "$@"; }

command -v apt-get >/dev/null 2>&1 || die "apt-get not found (Debian/Ubuntu only)"
export DEBIAN_FRONTEND=noninteractive

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

missing=()
for p in "${PACKAGES[@]}"; do
  installed "$p" || missing+=("$p")
done

policy_rc_d_created=0
cleanup() {
  if [ "$policy_rc_d_created" -eq 1 ]; then
    as_root rm -f /usr/sbin/policy-rc.d
  fi
}
trap cleanup EXIT

if [ "${#missing[@]}" -gt 0 ]; then
  log "installing: ${missing[*]}"
  if printf '%s\n' "${missing[@]}" | grep -qx postfix; then
    echo 'postfix postfix/main_mailer_type select No configuration' | as_root debconf-set-selections \
      || die "debconf-set-selections failed"
  fi

  # Always refresh the lists before installing: a fresh machine's lists may be stale
  # (a candidate whose .deb is no longer on the mirror), not only missing.
  log "apt-get update"
  as_root apt-get update -q || die "apt-get update failed"

  # Keep maintainer scripts from starting services during the install.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
    as_root chmod 755 /usr/sbin/policy-rc.d
    policy_rc_d_created=1
  fi

  as_root apt-get install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}" || die "apt-get install ${missing[*]} failed"
else
  log "already installed: ${PACKAGES[*]}"
fi

for p in "${PACKAGES[@]}"; do
  installed "$p" || die "package $p is not installed after apt-get"
done
[ -x /usr/sbin/postfix ] || die "/usr/sbin/postfix missing"
command -v openssl >/dev/null 2>&1 || die "openssl CLI missing"
getent passwd postfix >/dev/null || die "user 'postfix' missing"
getent group postdrop >/dev/null || die "group 'postdrop' missing"

# No default Postfix instance may be left running (it would listen on port 25).
default_running() {
  [ -f /etc/postfix/main.cf ] && as_root /usr/sbin/postfix status >/dev/null 2>&1
}
if default_running; then
  if [ "${MXPROBE_KEEP_SYSTEM_POSTFIX:-}" = "1" ]; then
    log "warning: default Postfix instance is running; left alone (MXPROBE_KEEP_SYSTEM_POSTFIX=1)"
  else
    log "stopping the default Postfix instance"
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
      as_root systemctl stop postfix.service 'postfix@-.service' >/dev/null 2>&1 || true
    fi
    if default_running; then
      as_root /usr/sbin/postfix stop >/dev/null 2>&1 || true
    fi
    default_running && die "could not stop the default Postfix instance"
  fi
fi

if [ "${MXPROBE_KEEP_SYSTEM_POSTFIX:-}" != "1" ] && command -v ss >/dev/null 2>&1; then
  if as_root ss -Hltnp 'sport = :25' 2>/dev/null | grep -q '"master"'; then
    die "a Postfix master process still listens on port 25"
  fi
fi

log "ok: $(/usr/sbin/postconf -d -h mail_version 2>/dev/null | sed 's/^/postfix /'), $(openssl version)"
