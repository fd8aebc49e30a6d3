"""check_stream.py INFUSIONCTL LIBRARY PROGRAMS.jsonl - results must stream.

Feeds the programs to `infusionctl ders check --batch -` one line at a time, and waits for each
result before sending the next line (stdin stays open): this only works when infusionctl
flushes each result as soon as it is judged. Exit 0 when every line got its result in time.
"""
import json
import select
import subprocess
import sys

TIMEOUT_S = 20


def main():
    ctl, library, programs = sys.argv[1:4]
    with open(programs, encoding="utf-8") as f:
        lines = [line for line in f if line.strip()]
    proc = subprocess.Popen([ctl, "ders", "check", "--library", library, "--batch", "-"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        for i, line in enumerate(lines, start=1):
            proc.stdin.write(line)
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], TIMEOUT_S)
            if not ready:
                print("no result for line %d within %d s (not flushed?)" % (i, TIMEOUT_S))
                return 1
            result = json.loads(proc.stdout.readline())
            if result.get("outcome") != json.loads(line)["expect"]["outcome"]:
                print("line %d: unexpected %r" % (i, result))
                return 1
        proc.stdin.close()
        rest = proc.stdout.read()
        status = proc.wait(timeout=TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if rest.strip() or status != 0:
        print("after the last line: output %r, exit status %d" % (rest, status))
        return 1
    print("%d results streamed" % len(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
