"""Read py-spy's collapsed stacks (`py-spy record --format raw`): where a process spends its samples.

    python -m bench.profiles results/profiles/event-saturation-sdk-consumer.txt [--top 25] [--match relay]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

IDLE = re.compile(r"\b(wait|select|poll|epoll|_recv_into|recv_into|readinto|accept|sleep|_wait_for_tstate_lock)\b")


def load(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    return stacks


def frame_name(frame: str) -> str:
    # "function (module/path.py:123)" → "function (path.py)"
    match = re.match(r"^(.*?) \((.*?)(?::\d+)?\)$", frame)
    if not match:
        return frame
    function, where = match.groups()
    parts = where.split("/")
    return f"{function} ({'/'.join(parts[-2:])})"


def summarise(stacks: list[tuple[list[str], int]], match: str | None = None) -> tuple[int, Counter, Counter]:
    total = 0
    inclusive: Counter = Counter()
    own: Counter = Counter()
    for frames, count in stacks:
        names = [frame_name(f) for f in frames]
        if match and not any(match in n for n in names):
            continue
        total += count
        for name in set(names):
            inclusive[name] += count
        own[names[-1]] += count
    return total, inclusive, own


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", help="only stacks with a frame containing this text (e.g. a thread's entry)")
    args = parser.parse_args()
    for path in args.files:
        total, inclusive, own = summarise(load(path), args.match)
        print(f"== {path.name}: {total} samples" + (f" matching {args.match!r}" if args.match else ""))
        print("  inclusive:")
        for name, count in inclusive.most_common(args.top):
            print(f"    {100 * count / max(total, 1):5.1f}%  {name}")
        print("  own (leaf):")
        for name, count in own.most_common(args.top // 2):
            print(f"    {100 * count / max(total, 1):5.1f}%  {name}")


if __name__ == "__main__":
    main()
