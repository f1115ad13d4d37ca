#!/usr/bin/env bash
# Refresh the README's screenshots: the browser journeys save them while they run, here into
# docs/screenshots (1280 px wide PNGs). Extra arguments go to pytest, e.g. -k reviewer.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p docs/screenshots
PA_SCREENSHOT_DIR="$PWD/docs/screenshots" ./test -q -p no:cacheprovider -m browser tests/browser "$@"
echo "screenshots in docs/screenshots:"
ls -l docs/screenshots/*.png
