"""Reads twin-nets' TensorBoard event files with TensorBoard's own code, for the Rust tests
(crates/common/tests/tensorboard.rs). Prints one JSON object on stdout.

  dump RUN_DIR       what TensorBoard's EventAccumulator loads from a run folder: scalars
                     {tag: [[step, value], ...]}, text tags, the hparams session start and
                     end; plus the raw records of its event file (EventFileLoader, which skips
                     a torn last record): {"raw_steps": {tag: [step, ...]}, "records": n}
  crc HEX...         TensorBoard's masked CRC-32C of each hex-encoded byte string
  serve LOGDIR SECONDS RUN:TAG...
                     starts the real TensorBoard server on 127.0.0.1 (a free port), polls
                     /data/plugin/scalars/scalars?run=RUN&tag=TAG until each pair has data or
                     SECONDS pass, then asks the hparams plugin for its experiment, stops the
                     server: {"RUN:TAG": [[wall_time, step, value], ...],
                              "hparams_experiment": {...}}
"""

import glob
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request


def dump(run_dir):
    from google.protobuf import json_format
    from tensorboard.backend.event_processing import event_accumulator as ea
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    from tensorboard.plugins.hparams import plugin_data_pb2

    acc = ea.EventAccumulator(run_dir, size_guidance={ea.SCALARS: 0, ea.TENSORS: 0})
    acc.Reload()
    tags = acc.Tags()
    out = {
        "scalars": {t: [[e.step, e.value] for e in acc.Scalars(t)] for t in tags["scalars"]},
        "tensors": sorted(tags["tensors"]),
        "text": {},
        "hparams": {},
    }
    for tag, content in acc.PluginTagToContent("hparams").items():
        data = plugin_data_pb2.HParamsPluginData.FromString(content)
        out["hparams"][tag] = json_format.MessageToDict(data)
    for tag in acc.PluginTagToContent("text"):
        events = acc.Tensors(tag)
        out["text"][tag] = [e.tensor_proto.string_val[0].decode() for e in events]
    raw, records = {}, 0
    for path in sorted(glob.glob(os.path.join(run_dir, "*tfevents*"))):
        for event in EventFileLoader(path).Load():
            records += 1
            for v in event.summary.value:
                raw.setdefault(v.tag, []).append(event.step)
    out["raw_steps"], out["records"] = raw, records
    return out


def crc(hexes):
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

    return [masked_crc32c(bytes.fromhex(h)) for h in hexes]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(logdir, seconds, pairs):
    port = free_port()
    cmd = [sys.executable, "-m", "tensorboard.main", "--logdir", logdir,
           "--host", "127.0.0.1", "--port", str(port), "--reload_interval", "1"]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + seconds
    got = {}
    try:
        while time.monotonic() < deadline and len(got) < len(pairs):
            if server.poll() is not None:
                raise SystemExit("tensorboard exited: " + server.stderr.read().decode())
            for pair in [p for p in pairs if p not in got]:
                run, tag = pair.split(":", 1)
                query = urllib.parse.urlencode({"run": run, "tag": tag})
                url = f"http://127.0.0.1:{port}/data/plugin/scalars/scalars?{query}"
                try:
                    with urllib.request.urlopen(url, timeout=2) as r:
                        data = json.load(r)
                except OSError:
                    continue  # not listening yet, or the run not loaded yet (400)
                if data:
                    got[pair] = data
            time.sleep(0.2)
        # The HParams tab's experiment: the hparams and metrics TensorBoard found in the runs.
        while time.monotonic() < deadline and "hparams_experiment" not in got:
            url = f"http://127.0.0.1:{port}/data/plugin/hparams/experiment"
            body = json.dumps({"experimentName": ""}).encode()
            req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=2) as r:
                    got["hparams_experiment"] = json.load(r)
            except OSError:
                time.sleep(0.2)
    finally:
        server.kill()
        server.wait()
    if len(got) < len(pairs) + 1:
        missing = [p for p in pairs + ["hparams_experiment"] if p not in got]
        raise SystemExit(f"no data from tensorboard within {seconds} s for {missing}")
    return got


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "dump":
        out = dump(args[0])
    elif cmd == "crc":
        out = crc(args)
    elif cmd == "serve":
        out = serve(args[0], float(args[1]), args[2:])
    else:
        raise SystemExit(f"unknown command {cmd}")
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
