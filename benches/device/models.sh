# Sourced by benches/device/run.sh and gpu.sh, on the device machine, from the repository
# root: models/ built from .device/ (the pruned E5S1 file through scripts/build_models.py,
# the shipped heads), the ONNX Runtime library $1 linked into models/onnxruntime/, and
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
