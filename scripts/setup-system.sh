#!/usr/bin/env bash
# Installs the system packages Firewatch runs against, when they are missing:
#   mosquitto         the MQTT broker (embedded stack and tests)
#   victoria-metrics  a real server for the InfluxDB v2 write API (telemetry tests)
#   chromium          headless browser for the duty-console tests
#   chromium-driver   (ships with chromium on Debian; kept for Selenium users)
#   postgresql        a real server for the dispatch ledger's PostgreSQL tests
#   fonts-wqy-microhei a Chinese font, so the console's screenshots show characters, not boxes
#   prometheus        promtool: checks and unit-tests the alert rules of deploy/prometheus
#                     (about 19 MB to download; only promtool is used)
#   openssl           `firewatch deploy secrets` makes the broker's CA and certificate with it
# As root it uses apt-get, otherwise sudo when available; otherwise it says what to install.
set -euo pipefail

need=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v victoria-metrics >/dev/null 2>&1 || [ -x /usr/bin/victoria-metrics ] || need+=(victoria-metrics)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# postgresql: the ledger's PostgreSQL tests start a throw-away server (initdb/pg_ctl).
command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-wqy-microhei)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v openssl >/dev/null 2>&1 || need+=(openssl)

[ ${#need[@]} -eq 0 ] && exit 0

echo "setup: installing system packages: ${need[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  apt_get=(apt-get)
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  apt_get=(sudo apt-get)
else
  echo "setup: please install these Debian packages first: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${apt_get[@]}" update -qq
"${apt_get[@]}" install -y -qq --no-install-recommends "${need[@]}" >/dev/null
