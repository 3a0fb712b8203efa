#!/usr/bin/env bash
# Mesa 25's lavapipe (software Vulkan, Debian bookworm-backports) unpacked into a private
# folder, for Dawn's Node binding (npm webgpu, bench/dawn/) on a machine without a GPU: its
# adapter ("llvmpipe") offers shader-f16, which bookworm's own Mesa 22 lavapipe and
# Chromium's SwiftShader do not, so the float16 kernels can be checked here (software:
# correctness, not speed). Nothing is installed system-wide; needs apt-get and dpkg
# (Debian/Ubuntu, amd64) and the network to deb.debian.org the first time. Idempotent.
#   bash tools/lavapipe.sh [DIR]     DIR default: .cache/lavapipe in the repository
# Prints the environment to run Node with, and writes it to DIR/env (KEY=VALUE lines):
#   env $(cat .cache/lavapipe/env) node …
set -euo pipefail
cd "$(dirname "$0")/.."

dir="$(realpath -m "${1:-.cache/lavapipe}")"
suite=bookworm-backports
packages=(mesa-vulkan-drivers libdrm2 libdrm-amdgpu1)
lib="$dir/root/usr/lib/x86_64-linux-gnu"
icd="$dir/lvp_icd.json"

fail() {
  echo "tools/lavapipe.sh: $*" >&2
  exit 1
}

for tool in apt-get dpkg; do
  command -v "$tool" >/dev/null || fail "needs $tool (a Debian or Ubuntu machine); lavapipe comes from Debian's $suite"
done
arch="$(dpkg --print-architecture)"
[ "$arch" = amd64 ] || fail "lavapipe is fetched for amd64 only, this machine is $arch"

if [ ! -f "$lib/libvulkan_lvp.so" ]; then
  echo "tools/lavapipe.sh: fetching ${packages[*]} from Debian $suite into $dir"
  rm -rf "$dir/root" "$dir/debs"
  mkdir -p "$dir/lists/partial" "$dir/debs" "$dir/root"
  printf 'deb http://deb.debian.org/debian %s main\n' "$suite" >"$dir/sources.list"
  apt=(-o "Dir::Etc::sourcelist=$dir/sources.list" -o Dir::Etc::sourceparts=-
    -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache::archives=$dir/debs")
  apt-get "${apt[@]}" -q update ||
    fail "apt-get update of $suite failed (no network to deb.debian.org? a proxy needs apt's Acquire::http::Proxy)"
  (cd "$dir/debs" && apt-get "${apt[@]}" -q download "${packages[@]/%//$suite}") ||
    fail "apt-get download of ${packages[*]} from $suite failed"
  for deb in "$dir"/debs/*.deb; do dpkg -x "$deb" "$dir/root"; done
  [ -f "$lib/libvulkan_lvp.so" ] || fail "the unpacked packages hold no $lib/libvulkan_lvp.so"
fi

# lavapipe 25 links bookworm's own libraries (LLVM 15, X11/Wayland clients, …) and is loaded
# by the Vulkan loader: what Debian's mesa-vulkan-drivers and libvulkan1 install.
missing="$(LD_LIBRARY_PATH="$lib" ldd "$lib/libvulkan_lvp.so" | awk '/not found/ { print $1 }' | tr '\n' ' ')"
[ -z "$missing" ] ||
  fail "libvulkan_lvp.so needs ${missing}: install Debian's own (apt-get install mesa-vulkan-drivers libvulkan1), which bring them"
[[ "$(ldconfig -p)" == *'libvulkan.so.1 '* ]] ||
  fail "the Vulkan loader libvulkan.so.1 is missing: apt-get install libvulkan1"

printf '{"ICD":{"api_version":"1.4.305","library_path":"%s"},"file_format_version":"1.0.0"}\n' \
  "$lib/libvulkan_lvp.so" >"$icd"
printf 'VK_ICD_FILENAMES=%s\nLD_LIBRARY_PATH=%s\n' "$icd" "$lib" >"$dir/env"
echo "tools/lavapipe.sh: lavapipe $(dpkg-deb -f "$dir"/debs/mesa-vulkan-drivers_*.deb Version 2>/dev/null || echo '?') ready; run Node with:"
cat "$dir/env"
