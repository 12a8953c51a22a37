#!/bin/sh
# `make package`: the PyInstaller one-folder build in build/package/, the icons and desktop files beside it,
# the tarball build/brokerdeck-<version>-linux-<arch>.tar.gz, then the frozen smoke test on that tarball.
# PY is the virtual environment's Python with the `package` extra installed (the Makefile sees to it).
set -eu
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
APP_ID=io.brokerdeck.Brokerdeck
version=$("$PY" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
name="brokerdeck-$version-linux-$(uname -m)"
out=build/package
tarball="build/$name.tar.gz"

rm -rf "$out" "$tarball"
started=$(date +%s)
"$PY" -m PyInstaller --noconfirm --log-level WARN --distpath "$out" --workpath build/pyinstaller packaging/brokerdeck.spec
built=$(date +%s)

"$PY" packaging/render_icons.py resources/icons/brokerdeck.svg "$out/share/icons/hicolor" "$APP_ID" >/dev/null
mkdir -p "$out/share/applications" "$out/share/metainfo"
cp "packaging/$APP_ID.desktop" "$out/share/applications/"
cp "packaging/$APP_ID.metainfo.xml" "$out/share/metainfo/"
cp packaging/install.sh packaging/uninstall.sh "$out/"

if command -v desktop-file-validate >/dev/null 2>&1; then
    desktop-file-validate "$out/share/applications/$APP_ID.desktop"
    echo "desktop-file-validate: $APP_ID.desktop is valid"
fi
if command -v appstreamcli >/dev/null 2>&1; then
    appstreamcli validate --no-net --explain "$out/share/metainfo/$APP_ID.metainfo.xml"
fi

tar -C build --transform "s,^package,$name," -czf "$tarball" package
echo "PyInstaller build: $((built - started)) s; build/package/brokerdeck on disk: $(du -sh "$out/brokerdeck" | cut -f1)"
echo "$tarball: $(du -h "$tarball" | cut -f1) ($(stat -c %s "$tarball") bytes)"

scripts/with-secret-service "$PY" -m tests.packaging.frozen_smoke "$tarball"
