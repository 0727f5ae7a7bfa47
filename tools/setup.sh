#!/usr/bin/env bash
# Installs every Debian package kvtier needs to build, test and benchmark. Idempotent: quiet and
# quick when everything is present. Nothing is downloaded at build time; this is the only step that
# reaches a package archive.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  libeigen3-dev librange-v3-dev nlohmann-json3-dev libsimdjson-dev libboost-dev libxxhash-dev
  libfmt-dev libcli11-dev liburing-dev libnuma-dev zlib1g-dev
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then
    sudo_cmd=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
