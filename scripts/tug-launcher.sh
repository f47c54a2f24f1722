#!/bin/sh
# `tug` on PATH: scripts/setup.sh links /usr/local/bin/tug (~/.local/bin/tug
# when not root) to this file. It runs this checkout's bin/tug.js with the
# pinned Node 24 (node_modules/node, from `npm ci`) and the environment and
# Node flags of bin/tug.js's own shebang, read from it at every call so the
# two never drift. No npm in between: `npx tug` costs 0.6-0.8 s a call and
# prints npm's EBADENGINE warnings where the system Node is older.
set -f
self=$(readlink -f -- "$0") || exit 2
repo=${self%/scripts/*}
node=$repo/node_modules/node/bin/node
if [ ! -x "$node" ]; then
  echo "tug: $node is missing: run \"npm ci\" (or \"bash scripts/setup.sh\") in $repo" >&2
  exit 2
fi
# The shebang is "#!/usr/bin/env -S [VAR=VALUE...] node [FLAGS...]".
IFS= read -r shebang < "$repo/bin/tug.js"
words=" ${shebang#'#!/usr/bin/env -S '} "
case $shebang$words in
  '#!/usr/bin/env -S '*' node '*) ;;
  *) echo "tug: $repo/bin/tug.js does not start with \"#!/usr/bin/env -S ... node ...\"; run it directly" >&2; exit 2 ;;
esac
case $repo in
  *\'* | *\\*) echo "tug: the checkout's path $repo has a quote or backslash; run $repo/bin/tug.js directly" >&2; exit 2 ;;
esac
vars=${words%% node *}
flags=${words#* node }
exec /usr/bin/env -S "$vars '$node' $flags" "$repo/bin/tug.js" "$@"
