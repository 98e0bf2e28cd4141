#!/usr/bin/env bash
# `make test-package`: installs the Debian package on this machine (it needs root), checks the
# files, the system user and the permissions it made, starts the installed binary as that user
# with the packaged settings until it prints the setup link and serves its embedded site,
# checks the systemd unit, and removes the package again.
set -euo pipefail

deb="${1:?usage: test-package.sh PACKAGE.deb}"
marker=/var/lib/gatehouse/.made-by-test-package
fail() { echo "test-package: $*" >&2; exit 1; }
expect() { [ "$2" = "$3" ] || fail "$1: expected '$3', found '$2'"; }

[ "$(id -u)" = 0 ] || fail "installing a package needs root (run it with sudo)"
# Never touch a Gatehouse that this test did not install.
if [ -d /var/lib/gatehouse ] && [ ! -e "$marker" ]; then
    fail "/var/lib/gatehouse exists: this machine runs Gatehouse; test the package elsewhere"
fi
dpkg --purge gatehouse >/dev/null 2>&1 || true
rm -rf /var/lib/gatehouse

installed=$(dpkg -i "$deb" 2>&1) || fail "dpkg -i failed: $installed"
touch "$marker"
grep -q "journalctl -u gatehouse" <<<"$installed" || fail "installing does not say where the setup link appears"

[ -x /usr/bin/gatehouse ] || fail "/usr/bin/gatehouse is missing"
/usr/bin/gatehouse --version | grep -q "^gatehouse .* (commit " || fail "--version"
expect "the gatehouse user's home and shell" "$(getent passwd gatehouse | cut -d: -f6,7)" "/var/lib/gatehouse:/usr/sbin/nologin"
[ "$(id -u gatehouse)" -lt 1000 ] || fail "gatehouse is not a system user"
expect "/var/lib/gatehouse" "$(stat -c '%a %U %G' /var/lib/gatehouse)" "700 gatehouse gatehouse"
expect "/etc/gatehouse/gatehouse.env" "$(stat -c '%a %U %G' /etc/gatehouse/gatehouse.env)" "640 root gatehouse"
unit=/usr/lib/systemd/system/gatehouse.service
[ -f "$unit" ] || fail "$unit is missing"
for setting in "User=gatehouse" "ProtectSystem=strict" "NoNewPrivileges=yes" "PrivateTmp=yes" \
    "ReadWritePaths=/var/lib/gatehouse" "Restart=on-failure" "EnvironmentFile=/etc/gatehouse/gatehouse.env"; do
    grep -qx "$setting" "$unit" || fail "the unit lacks $setting"
done
if command -v systemd-analyze >/dev/null; then
    # Only problems with our own unit count (the machine may lack units it refers to).
    verdict=$(systemd-analyze verify "$unit" 2>&1 | grep "gatehouse.service" || true)
    [ -z "$verdict" ] || fail "systemd-analyze verify: $verdict"
fi

# The installed binary, as the gatehouse user, with the packaged settings and a free port.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
out=$(mktemp) err=$(mktemp)
cd /var/lib/gatehouse
# setpriv (not runuser) execs the server itself, so the signal below reaches it directly.
setpriv --reuid=gatehouse --regid=gatehouse --init-groups --reset-env \
    sh -c "set -a; . /etc/gatehouse/gatehouse.env; GATEHOUSE_LISTEN=127.0.0.1:$port; exec /usr/bin/gatehouse serve" \
    >"$out" 2>"$err" &
server=$!
cd - >/dev/null
for _ in $(seq 1 600); do
    grep -q "^Setup link: " "$out" && break
    kill -0 "$server" 2>/dev/null || fail "the server stopped: $(cat "$err")"
    sleep 0.1
done
grep -q "^Setup link: http://localhost:3000/setup/" "$out" || fail "no setup link: $(cat "$out" "$err")"
expect "/readyz" "$(curl -sf "http://127.0.0.1:$port/readyz")" "ready"
wasm=$(curl -sf "http://127.0.0.1:$port/login" | grep -o '/v-[0-9a-f]*/pkg/gatehouse.wasm' | head -1)
[ -n "$wasm" ] || fail "the page names no embedded wasm"
headers=$(curl -sf -o /dev/null -D - -H 'Accept-Encoding: br' "http://127.0.0.1:$port$wasm")
grep -qi "^content-encoding: br" <<<"$headers" || fail "the wasm is not served pre-compressed: $headers"
grep -qi "^cache-control: .*immutable" <<<"$headers" || fail "the wasm is not cached as immutable: $headers"
# The split-off pages' parts are embedded beside it: the login page's own part loads.
pkg=${wasm%/gatehouse.wasm}
part=$(curl -sf "http://127.0.0.1:$port$pkg/__wasm_split_manifest.json" | grep -o '"__login_route_view_[0-9]*"' | head -1 | tr -d '"')
[ -n "$part" ] || fail "the embedded site has no split-off login page"
headers=$(curl -sf -o /dev/null -D - "http://127.0.0.1:$port$pkg/split_$part.wasm") || fail "split_$part.wasm is not served"
grep -qi "^content-type: application/wasm" <<<"$headers" || fail "split_$part.wasm is not served as wasm: $headers"
kill -TERM "$server"
wait "$server" || fail "the server did not stop cleanly on SIGTERM: $(cat "$err")"
expect "the database" "$(stat -c '%a %U' /var/lib/gatehouse/gatehouse.db)" "600 gatehouse"
expect "the secret key file" "$(stat -c '%a %U' /var/lib/gatehouse/secret.key)" "600 gatehouse"
rm -f "$out" "$err"

dpkg --purge gatehouse >/dev/null
[ ! -e /usr/bin/gatehouse ] || fail "purging left /usr/bin/gatehouse"
[ -e /var/lib/gatehouse/gatehouse.db ] || fail "purging removed the data, which it keeps"
rm -rf /var/lib/gatehouse
echo "test-package: the package installs, runs as its own user and removes cleanly"
