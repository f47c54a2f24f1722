#!/usr/bin/env bash
# Installs what Tugboat and its tests need on a fresh Debian machine: the
# real registry, skopeo, htpasswd, openssl, PostgreSQL (for the multi-replica
# store tests) and Chromium (for the console's browser tests) from Debian,
# then the npm packages (including the pinned Node 24). Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A need=(
  [docker-registry]=/usr/bin/docker-registry
  [skopeo]=/usr/bin/skopeo
  [apache2-utils]=/usr/bin/htpasswd
  [openssl]=/usr/bin/openssl
  [chromium]=/usr/bin/chromium
  [time]=/usr/bin/time
  # The skopeo drop-in tests: a Docker engine (docker-daemon:, docker pull),
  # podman (reads what tug writes), a proxy on loopback, umoci.
  [docker.io]=/usr/sbin/dockerd
  [podman]=/usr/bin/podman
  [tinyproxy]=/usr/bin/tinyproxy
  [umoci]=/usr/bin/umoci
  [containerd]=/usr/bin/containerd
)
missing=()
for pkg in "${!need[@]}"; do
  [[ -x "${need[$pkg]}" ]] || missing+=("$pkg")
done
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
# Fonts for the console's screenshots: Chinese text and the status emoji.
[[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]] || missing+=(fonts-wqy-microhei)
[[ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ]] || missing+=(fonts-noto-color-emoji)
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's package may start a registry on :5000 where systemd runs; the tests
# use their own registries on free ports, so it is left alone.

npm ci --no-audit --no-fund
# Compile src/ to dist/ (what bin/tug.js runs) and build the console (web/dist).
npm run -s build
npm run -s build:web
echo "setup: node $(npm run -s env -- node --version) ready"
