# Sourced from the repository root: by benches/device/run.sh, gpu.sh and setup_time.sh on the
# device machine, by prepare.sh and prepare_cuda.sh here.

# Everything the script prints also goes to $OUT/$1 (the device tool brings $OUT back).
log_to() {
  out="${OUT:-/tmp/device-out}"
  mkdir -p "$out"
  exec > >(tee "$out/$1") 2>&1
  export PYTHONUNBUFFERED=1
}

# The tarball $1 (compressed or not) extracted into the directory $2, by python3's tarfile
# (python3 is on every machine these scripts run on).
unpack() {
  python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"
}

# $2/models/ (default ./models/) built from .device/: the pruned E5S1 file through
# scripts/build_models.py, the shipped heads, and the ONNX Runtime library $1 linked into
# models/onnxruntime/; then $3 (default .device/seed.json), the checksum memo that lets the
# shipped heads accept the pruned graphs. $PY: a python3 with numpy and onnx (default
# python3). prepare.sh builds the same here to check it. $4: a tarball of other heads and
# MANIFEST to install instead of .device/models.tar.xz's (prepare.sh's baseline), with
# $TOKEN_ROWS=False for 0.7.1's int8 graph (build_models.build_onnx's token_rows).
build_device_models() {
  local lib=$1 root=${2:-.} seed=${3:-.device/seed.json} heads=${4:-.device/models.tar.xz} py=${PY:-python3}
  local models="$root/models"
  if [ -e "$models" ] && [ ! -e "$models/.device" ]; then
    echo "$models exists and was not made by benches/device: run this on the device machine only" >&2
    return 2
  fi
  rm -rf "$models" && mkdir -p "$models/multilingual-e5-small" "$models/onnxruntime" && touch "$models/.device"
  "$py" -c 'import lzma, shutil, sys, tarfile
tarfile.open(sys.argv[1]).extractall(sys.argv[3])
shutil.copyfileobj(lzma.open(sys.argv[2]), open(sys.argv[3] + "/e5-pruned.bin", "wb"))' \
    "$heads" .device/e5-pruned.bin.xz "$models" || return 1
  "$py" -c 'import sys; sys.path.insert(0, "scripts"); import build_models as b
b.build_encoder(open(sys.argv[1], "rb").read(), sys.argv[2], token_rows=sys.argv[3] == "True")' \
    "$models/e5-pruned.bin" "$models/multilingual-e5-small" "${TOKEN_ROWS:-True}" || return 1
  rm "$models/e5-pruned.bin"
  ln -s "$(realpath "$lib")" "$models/onnxruntime/"
  "$py" benches/device/seed_checksums.py "$models/multilingual-e5-small" "$models/multilingual-e5-small/MANIFEST" >"$seed"
}

# Which of the instruction sets the int8 kernels can use this CPU has (1 = present).
cpu_flags() {
  local f
  for f in avx2 avx512f avx512_vnni avx_vnni avx512_bf16 amx_tile amx_int8 amx_bf16; do
    printf '%s=%s ' "$f" "$(grep -m1 -c -w "$f" /proc/cpuinfo)"
  done
  echo
}

# Two CPUs on two physical cores, as on the 2-core VM of the other benchmarks: cpu0 and the
# first CPU that is not its SMT sibling.
two_cores() {
  local siblings c
  siblings=$(cat /sys/devices/system/cpu/cpu0/topology/thread_siblings_list 2>/dev/null || echo 0)
  for c in $(seq 1 $(($(nproc) - 1))); do
    case ",$siblings," in *",$c,"*) ;; *) echo "0,$c"; return ;; esac
  done
}

# The CPU build of the CLI and raw-encoder bench in .device/bin/, and models/ with the ONNX
# Runtime library of the machine's Python onnxruntime; sets $lib.
cpu_setup() {
  mkdir -p .device/bin
  unpack .device/bin.tar.xz .device/bin ||
    return 1
  lib=$(python3 -c 'import glob, os, onnxruntime
print(sorted(glob.glob(os.path.join(os.path.dirname(onnxruntime.__file__), "capi", "libonnxruntime.so*")))[-1])')
  build_device_models "$lib"
}

# Here: the CLI and the raw-encoder bench built with the cargo options given (e.g.
# --features cuda), stripped, into the archive $1.
pack_binaries() {
  local archive=$1 dir bench
  shift
  dir=$(mktemp -d)
  cargo build --release -q "$@"
  bench=$(cargo bench --no-run "$@" --bench encoder --message-format=json 2>/dev/null | python3 -c 'import json, sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "encoder":
        print(m["executable"])')
  strip -o "$dir/verbatim" "${CARGO_TARGET_DIR:-target}/release/verbatim"
  strip -o "$dir/encoder" "$bench"
  tar -cJf "$archive" -C "$dir" verbatim encoder
  rm -rf "$dir"
}
