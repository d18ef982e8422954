#!/usr/bin/env bash
# Test dependencies of the web dashboard and alert delivery: Debian's headless Chromium (the
# browser tests drive it through its system binary, so no browser is ever downloaded), its
# chromedriver, and Prometheus Alertmanager (the real receiver of the alert tests).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v prometheus-alertmanager >/dev/null 2>&1 || [ -x /usr/bin/prometheus-alertmanager ] \
  || need+=(prometheus-alertmanager)
if [ "${#need[@]}" -eq 0 ]; then
  echo "web.sh: chromium, chromedriver and alertmanager already installed"
  exit 0
fi
sudo_=""
[ "$(id -u)" -eq 0 ] || sudo_="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo_ apt-get update -q
# --no-install-recommends keeps fonts and desktop bits out; the package's own service is not
# needed (tests start alertmanager on a free loopback port with a temporary config).
$sudo_ apt-get install -y -q --no-install-recommends "${need[@]}"
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus-alertmanager 2>/dev/null; then
  $sudo_ systemctl disable --now prometheus-alertmanager || true
fi
echo "web.sh: installed ${need[*]}"
