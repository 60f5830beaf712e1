#!/usr/bin/env bash
# Puts anarq on PATH: builds the release binary (scripts/build.sh release
# anarq; incremental, a no-op when up to date), then
# `cmake --install build/release --prefix $PREFIX`: $PREFIX/bin/anarq and the
# docs in $PREFIX/share/doc/anarq (docs/anarq.service, the systemd unit, among
# them). See docs/operations.md.
#
#   PREFIX    [/usr/local]  install prefix
#   DESTDIR   []            staging root for packaging: files land in $DESTDIR$PREFIX
#   ANARQ_BIN []            install this prebuilt binary instead of building (a plain copy)
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-/usr/local}
DEST="${DESTDIR:-}$PREFIX"
DOC="$DEST/share/doc/anarq"

if [[ -n ${ANARQ_BIN:-} ]]; then
  [[ -x $ANARQ_BIN ]] || { echo "install.sh: ANARQ_BIN=$ANARQ_BIN is not an executable" >&2; exit 1; }
  install -d "$DEST/bin" "$DOC/docs"
  install -m 0755 "$ANARQ_BIN" "$DEST/bin/anarq"
  install -m 0644 README.md "$DOC/README.md"
  cp -R docs/. "$DOC/docs/"
else
  scripts/build.sh release anarq
  DESTDIR=${DESTDIR:-} cmake --install build/release --prefix "$PREFIX" >/dev/null
fi

"$DEST/bin/anarq" --version >/dev/null
echo "installed $DEST/bin/anarq ($("$DEST/bin/anarq" --version)); docs in $DOC"
case ":$PATH:" in
  *":$PREFIX/bin:"*) ;;
  *) echo "note: $PREFIX/bin is not on PATH" ;;
esac
echo "run it as a service: $DOC/docs/operations.md (unit: $DOC/docs/anarq.service)"
