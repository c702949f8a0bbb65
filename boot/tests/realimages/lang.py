# Python: the standard library's pure and OS-facing parts, deterministic output.
import hashlib, json, os, re, struct, subprocess, sys, tempfile, threading, zlib, collections, itertools, signal, time
print(sys.version_info[:2])
print(sorted(collections.Counter("mississippi").items()))
print(json.dumps({"b": [1, 2.5, None], "a": "é"}, sort_keys=True, ensure_ascii=False))
print(re.sub(r"(\w+)@(\w+)", r"\2 at \1", "alice@example bob@test"))
print(hashlib.sha256(b"cyrius" * 1000).hexdigest())
print(zlib.crc32(zlib.compress(b"x" * 100000)), len(zlib.compress(b"x" * 100000, 9)))
print(struct.pack("<IhQ", 1, -2, 3).hex())
print(list(itertools.permutations("abc", 2))[:4])
print(sum(i * i for i in range(10**5)))
with tempfile.TemporaryDirectory() as d:
    for n in ("b", "a", "c"):
        with open(os.path.join(d, n), "w") as f:
            f.write(n * 3)
    print(sorted(os.listdir(d)), os.path.getsize(os.path.join(d, "a")))
    os.rename(os.path.join(d, "a"), os.path.join(d, "z"))
    print(sorted(os.listdir(d)))
r = subprocess.run(["sh", "-c", "echo out; echo err >&2; exit 7"], capture_output=True, text=True)
print(r.returncode, r.stdout.strip(), r.stderr.strip())
p = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
print(p.communicate(b"through a pipe")[0].decode())
results = []
lock = threading.Lock()
def work(i):
    s = sum(range(i * 10000))
    with lock:
        results.append((i, s))
ts = [threading.Thread(target=work, args=(i,)) for i in range(8)]
[t.start() for t in ts]
[t.join() for t in ts]
print(sorted(results)[-1], len(results))
got = []
signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
os.kill(os.getpid(), signal.SIGUSR1)
print("signal", got)
pid = os.fork()
if pid == 0:
    os._exit(42)
print("child", os.waitpid(pid, 0)[1] >> 8)
r, w = os.pipe()
os.write(w, b"abc")
os.close(w)
print(os.read(r, 10), os.read(r, 10))
t0 = time.monotonic(); time.sleep(0.2); print("slept", time.monotonic() - t0 >= 0.2)
print(os.getuid(), os.getgid(), os.getcwd())
print("python done")
