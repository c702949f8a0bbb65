#!/usr/bin/env python3
"""Records how the host Linux n_tty line discipline behaves, through a pty.

Usage: pty_oracle.py 'CASE' ...   where CASE is a small Python dict literal:
  {"lflag_off": ["ECHOKE"], "lflag_on": [], "iflag_on": [], "iflag_off": [],
   "oflag_on": [], "oflag_off": [], "cc": {"VMIN": 0}, "write": "$ ",
   "input": ["abc\\x7f", "\\r"], "after": {"lflag_off": ["ICANON"]},
   "reads": [4096, 4096]}
Prints the echo the terminal received (after each input chunk) and the
result of each non-blocking read on the slave, as Python byte literals.
The expected values in src/tests.rs were recorded with this script.
"""
import ast, fcntl, os, sys, termios, time, tty

IDX = {"iflag": 0, "oflag": 1, "cflag": 2, "lflag": 3}
EXTRA = {"IUTF8": 0o40000}  # not in every Python termios module

def run(case):
    master, slave = os.openpty()
    t = termios.tcgetattr(slave)
    # Start from Linux's console defaults (tty_std_termios).
    t[0] = termios.ICRNL | termios.IXON
    t[1] = termios.OPOST | termios.ONLCR
    t[3] = (termios.ISIG | termios.ICANON | termios.ECHO | termios.ECHOE | termios.ECHOK
            | termios.ECHOCTL | termios.ECHOKE | termios.IEXTEN)
    cc = t[6]
    defaults = {"VINTR": 3, "VQUIT": 28, "VERASE": 127, "VKILL": 21, "VEOF": 4, "VTIME": 0,
                "VMIN": 1, "VSTART": 17, "VSTOP": 19, "VSUSP": 26, "VEOL": 0, "VREPRINT": 18,
                "VDISCARD": 15, "VWERASE": 23, "VLNEXT": 22, "VEOL2": 0}
    defaults.update(case.get("cc", {}))
    for name, value in defaults.items():
        cc[getattr(termios, name)] = bytes([value])
    for field, i in IDX.items():
        for flag in case.get(field + "_on", []):
            t[i] |= getattr(termios, flag, EXTRA.get(flag))
        for flag in case.get(field + "_off", []):
            t[i] &= ~getattr(termios, flag, EXTRA.get(flag))
    termios.tcsetattr(slave, termios.TCSANOW, t)
    fcntl.fcntl(master, fcntl.F_SETFL, os.O_NONBLOCK)
    fcntl.fcntl(slave, fcntl.F_SETFL, os.O_NONBLOCK)
    if "write" in case:
        os.write(slave, case["write"].encode("latin-1"))
        time.sleep(0.05)
        drain(master)
    for chunk in case["input"]:
        os.write(master, chunk.encode("latin-1"))
        time.sleep(0.05)
        print("echo", drain(master))
    if "after" in case:  # termios changes applied before the reads
        t = termios.tcgetattr(slave)
        for field, i in IDX.items():
            for flag in case["after"].get(field + "_on", []):
                t[i] |= getattr(termios, flag, EXTRA.get(flag))
            for flag in case["after"].get(field + "_off", []):
                t[i] &= ~getattr(termios, flag, EXTRA.get(flag))
        termios.tcsetattr(slave, termios.TCSANOW, t)
    for size in case.get("reads", []):
        try:
            print("read", os.read(slave, size))
        except BlockingIOError:
            print("read EAGAIN")

def drain(fd):
    out = b""
    while True:
        try:
            data = os.read(fd, 4096)
        except (BlockingIOError, OSError):
            return out
        if not data:
            return out
        out += data

for arg in sys.argv[1:]:
    print("case", arg)
    run(ast.literal_eval(arg))
