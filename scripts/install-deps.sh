#!/usr/bin/env bash
# Installs the system packages a fresh Debian machine lacks: OpenBLAS (the engine's BLAS), pkg-config (to find it),
# curl (scripts), Chromium (the dashboard's browser test), Python's venv (the contract fuzz's test tool) and the
# PostgreSQL server (the storage and replica tests run against a real one, started in a temporary folder). Needs root or sudo when something is missing.
set -euo pipefail
need=()
pkg-config --exists openblas 2>/dev/null || need+=(libopenblas-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v curl >/dev/null || need+=(curl)
command -v chromium >/dev/null || need+=(chromium)
command -v python3 >/dev/null || need+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
# initdb and pg_ctl (Debian keeps them in /usr/lib/postgresql/<version>/bin); the package also creates the `postgres`
# user that the tests run the server as when they run as root.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && id postgres >/dev/null 2>&1 || need+=(postgresql)
# CJK glyphs, so the browser tests' screenshots of the Chinese dashboard are readable.
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-wqy-microhei)
if ((${#need[@]})); then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
