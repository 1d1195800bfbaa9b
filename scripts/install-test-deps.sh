#!/usr/bin/env bash
# Installs the system packages the test suite needs (Debian/Ubuntu): postfix, openssl, and for
# the DNSSEC lab (test/helpers/dnssec-lab.ts) nsd, unbound and ldnsutils.
#
# - Idempotent and non-interactive; runs `apt-get update` only when a package is missing.
# - Postfix is preseeded with debconf "No configuration": no /etc/postfix/main.cf is
#   written and the default instance is not started. The tests run their own private
#   instance (test/helpers/postfix.ts) on 127.0.0.1 with a config dir in a temp dir.
# - Afterwards makes sure no default Postfix instance is running (and so none listens on
#   port 25). Set MXPROBE_KEEP_SYSTEM_POSTFIX=1 to leave an already-configured system
#   Postfix running (e.g. on a developer machine that uses it as its MTA).
# - DNSSEC lab: nsd (authoritative for the presigned lab zones), unbound (validating and
#   non-validating resolvers) and ldnsutils (ldns-keygen, ldns-signzone; drill for debugging).
#   The tests run their own instances on 127.0.0.1 high ports from a temp dir. The system
#   nsd/unbound services of packages installed by THIS run are stopped and disabled, so
#   nothing is left listening on port 53 (or taking over the machine's resolver at boot);
#   an nsd/unbound that was installed before is left alone (a developer's own resolver).
# - The HTML report's browser test (test/integration/html-report-browser.test.ts): chromium,
#   driven headless by playwright-core from npm (never Playwright's own browser download).
# - mxprobe receive's tests (test/integration/receive-*.test.ts): swaks as a sender, with
#   libnet-ssleay-perl for its --tls (a Recommends, which --no-install-recommends leaves out).
# - The OpenMetrics check: promtool, which Debian ships only in the prometheus package. The
#   Prometheus server itself is not wanted: its service is stopped and disabled like nsd's.
set -euo pipefail

PACKAGES=(postfix openssl nsd unbound ldnsutils chromium prometheus swaks libnet-ssleay-perl)
# Services that would bind port 53 if started: disabled when their package is installed here.
DNS_SERVICES=(nsd unbound unbound-resolvconf)
# The Prometheus server the prometheus package would start (the tests use only its promtool).
OTHER_SERVICES=(prometheus)

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

  # Another apt/dpkg run on the machine holds the lock for a while: wait for it.
  as_root apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 \
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
for b in /usr/sbin/nsd /usr/sbin/unbound /usr/bin/ldns-keygen /usr/bin/ldns-signzone /usr/bin/chromium /usr/bin/promtool /usr/bin/swaks; do
  [ -x "$b" ] || die "$b missing"
done

# Stops a system service now (systemd or SysV init) and disables it for later boots in both
# worlds (`systemctl disable` also works while systemd is not running, e.g. in a container).
stop_and_disable() {
  local svc=$1
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    as_root systemctl stop "$svc.service" >/dev/null 2>&1 || true
  elif [ -x "/etc/init.d/$svc" ]; then
    as_root "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
  fi
  if command -v systemctl >/dev/null 2>&1; then
    as_root systemctl disable "$svc.service" >/dev/null 2>&1 || true
  fi
  if [ -e "/etc/init.d/$svc" ] && command -v update-rc.d >/dev/null 2>&1; then
    as_root update-rc.d "$svc" disable >/dev/null 2>&1 || true
  fi
}

# The DNS daemons just installed must not run as system services: the tests start their own.
# (policy-rc.d kept them from starting during the install; disable them for later boots too.)
newly_installed_dns=()
for p in "${missing[@]}"; do
  case "$p" in nsd | unbound) newly_installed_dns+=("$p") ;; esac
done
if [ "${#newly_installed_dns[@]}" -gt 0 ]; then
  for svc in "${DNS_SERVICES[@]}"; do
    case "$svc" in
      nsd) printf '%s\n' "${newly_installed_dns[@]}" | grep -qx nsd || continue ;;
      *) printf '%s\n' "${newly_installed_dns[@]}" | grep -qx unbound || continue ;;
    esac
    stop_and_disable "$svc"
    log "system service $svc stopped and disabled (the tests run private instances)"
  done
  if command -v ss >/dev/null 2>&1; then
    names=$(IFS='|'; echo "${newly_installed_dns[*]}")
    if as_root ss -Hlntup 'sport = :53' 2>/dev/null | grep -Eq "\"($names)\""; then
      die "a system ${newly_installed_dns[*]} still listens on port 53"
    fi
  fi
fi
if printf '%s\n' "${missing[@]}" | grep -qx prometheus; then
  for svc in "${OTHER_SERVICES[@]}"; do
    stop_and_disable "$svc"
    log "system service $svc stopped and disabled (the tests use only promtool)"
  done
fi
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
log "ok: $(/usr/sbin/nsd -v 2>&1 | head -n 1), $(/usr/sbin/unbound -V 2>&1 | head -n 1), $(ldns-signzone -v 2>&1 | head -n 1)"
log "ok: $(/usr/bin/chromium --version 2>/dev/null | head -n 1), $(/usr/bin/promtool --version 2>&1 | head -n 1)"
