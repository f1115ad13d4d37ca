#!/usr/bin/env bash
# Sourced by ./run and ./test: a CJK font for the letters WeasyPrint lays out (a member's name in
# Chinese, Korean or Japanese; reviews/letters.py). DejaVu Sans, which draws every other letter,
# has no such glyphs. The Dockerfile installs the same package.
if ! fc-list :lang=zh 2>/dev/null | grep -q . && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing Debian's fonts-wqy-microhei (Chinese, Korean and Japanese in letters)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null) ||
        echo "warning: could not install fonts-wqy-microhei; letters with CJK names will show boxes" >&2
fi
