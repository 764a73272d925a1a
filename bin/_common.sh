# Shared by bin/dev, bin/test and .ci/run: system packages and the virtualenv.
# Sourced, not run.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"

# Debian/Ubuntu packages the project needs: a compiler and headers for mysqlclient.
SYSTEM_PACKAGES=(python3-venv python3-dev build-essential pkg-config default-libmysqlclient-dev)

_sudo() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_system_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "==> Installing system packages: ${missing[*]}"
    _sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive _sudo apt-get install -y -qq "${missing[@]}"
  fi
}

ensure_venv() {
  local requirements="$1"
  local python="${PYTHON:-python3}"
  if [ ! -x "$VENV/bin/python" ]; then
    echo "==> Creating virtualenv in $VENV"
    "$python" -m venv "$VENV"
  fi
  echo "==> Installing $(basename "$requirements")"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
}
