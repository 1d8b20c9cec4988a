# Sourced by benches/device/run.sh, gpu.sh and setup_time.sh on the device machine, from the
# repository root.

# Everything the script prints also goes to $OUT/$1 (the device tool brings $OUT back).
log_to() {
  out="${OUT:-/tmp/device-out}"
  mkdir -p "$out"
  exec > >(tee "$out/$1") 2>&1
  export PYTHONUNBUFFERED=1
}

# models/ built from .device/ (the pruned E5S1 file through scripts/build_models.py, the
# shipped heads), the ONNX Runtime library $1 linked into models/onnxruntime/, and
# .device/seed.json, the checksum memo that lets the shipped heads accept the pruned graphs.
build_device_models() {
  local dev=.device lib=$1
  if [ -e models ] && [ ! -e models/.device ]; then
    echo "models/ exists and was not made by benches/device: run this on the device machine only" >&2
    return 2
  fi
  rm -rf models && mkdir -p models/multilingual-e5-small models/onnxruntime && touch models/.device
  python3 -c 'import lzma, shutil, sys, tarfile
tarfile.open(sys.argv[1]).extractall("models")
shutil.copyfileobj(lzma.open(sys.argv[2]), open("/tmp/e5-pruned.bin", "wb"))' \
    "$dev/models.tar.xz" "$dev/e5-pruned.bin.xz" || return 1
  python3 -c 'import sys; sys.path.insert(0, "scripts"); import build_models as b
b.build_encoder(open(sys.argv[1], "rb").read(), sys.argv[2])' /tmp/e5-pruned.bin models/multilingual-e5-small || return 1
  ln -s "$lib" models/onnxruntime/
  python3 benches/device/seed_checksums.py models/multilingual-e5-small models/multilingual-e5-small/MANIFEST >"$dev/seed.json"
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
  python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' .device/bin.tar.xz .device/bin ||
    return 1
  lib=$(python3 -c 'import glob, os, onnxruntime
print(sorted(glob.glob(os.path.join(os.path.dirname(onnxruntime.__file__), "capi", "libonnxruntime.so*")))[-1])')
  build_device_models "$lib"
}
