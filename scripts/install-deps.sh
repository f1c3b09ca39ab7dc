#!/usr/bin/env bash
# Installs the system packages a fresh Debian machine lacks: OpenBLAS (the engine's BLAS), pkg-config (to find it),
# curl (scripts), Chromium (the dashboard's browser test) and Python's venv (the contract fuzz's test tool). Needs root or sudo when something is missing.
set -euo pipefail
need=()
pkg-config --exists openblas 2>/dev/null || need+=(libopenblas-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v curl >/dev/null || need+=(curl)
command -v chromium >/dev/null || need+=(chromium)
command -v python3 >/dev/null || need+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
# CJK glyphs, so the browser tests' screenshots of the Chinese dashboard are readable.
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-wqy-microhei)
if ((${#need[@]})); then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
