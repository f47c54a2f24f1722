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
  # The arm64 single-file tug (npm run dist, docs/dist.md): qemu runs its
  # Node to make the code cache, and the tests run it, with the arm64 libc.
  [qemu-user-static]=/usr/bin/qemu-aarch64-static
  [libc6-arm64-cross]=/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1
  # npm run image (docs/deploy.md): readelf finds the arm64 binary's libraries.
  [binutils]=/usr/bin/readelf
)
missing=()
for pkg in "${!need[@]}"; do
  [[ -x "${need[$pkg]}" ]] || missing+=("$pkg")
done
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
# Fonts for the console's screenshots: Chinese text and the status emoji.
[[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]] || missing+=(fonts-wqy-microhei)
[[ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ]] || missing+=(fonts-noto-color-emoji)
[[ -e /usr/aarch64-linux-gnu/lib/libstdc++.so.6 ]] || missing+=(libstdc++6-arm64-cross)
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
# `tug` on PATH: a link to scripts/tug-launcher.sh, which runs bin/tug.js
# with the pinned Node 24 (no npm per call). /usr/local/bin as root, else
# ~/.local/bin.
if [[ $(id -u) -eq 0 ]]; then bindir=/usr/local/bin; else bindir="$HOME/.local/bin"; fi
mkdir -p "$bindir"
if [[ -e "$bindir/tug" && ! -L "$bindir/tug" ]]; then
  echo "setup: $bindir/tug is a file, not the launcher link (a single-file tug?): left alone"
else
  ln -sfn "$PWD/scripts/tug-launcher.sh" "$bindir/tug"
  echo "setup: tug -> $bindir/tug ($("$bindir/tug" --version))"
fi
[[ $(id -u) -eq 0 ]] || [[ ":$PATH:" == *":$bindir:"* ]] || echo "setup: $bindir is not on your PATH: add it (export PATH=\"$bindir:\$PATH\") to run tug"
echo "setup: node $(npm run -s env -- node --version) ready"
