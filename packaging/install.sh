#!/bin/sh
# Install Brokerdeck for this user, from the unpacked tarball this script sits in:
#   the program         ~/.local/opt/brokerdeck/        (replaced whole on an upgrade)
#   the command         ~/.local/bin/brokerdeck         (a link to the program)
#   the menu entry      ~/.local/share/applications/io.brokerdeck.Brokerdeck.desktop
#   the icons           ~/.local/share/icons/hicolor/*/apps/io.brokerdeck.Brokerdeck.{png,svg}
#   the app metadata    ~/.local/share/metainfo/io.brokerdeck.Brokerdeck.metainfo.xml
# (~/.local/share is $XDG_DATA_HOME when that is set.) Nothing needs root. Profiles, the vault and logs are
# not here: Brokerdeck keeps them in the user's config and data folders, and an upgrade leaves them alone.
set -eu
APP_ID=io.brokerdeck.Brokerdeck
here=$(cd "$(dirname "$0")" && pwd)
opt="$HOME/.local/opt/brokerdeck"
bin="$HOME/.local/bin"
share="${XDG_DATA_HOME:-$HOME/.local/share}"

[ -x "$here/brokerdeck/brokerdeck" ] || { echo "install.sh: run it from the unpacked tarball ($here/brokerdeck is missing)" >&2; exit 1; }

mkdir -p "$HOME/.local/opt" "$bin" "$share/applications" "$share/metainfo" "$share/icons/hicolor"
# Copied beside the old version first, then swapped in, so a failed copy leaves the old one working.
rm -rf "$opt.new"
cp -R "$here/brokerdeck" "$opt.new"
cp "$here/uninstall.sh" "$opt.new/uninstall.sh"
rm -rf "$opt"
mv "$opt.new" "$opt"
ln -sfn "$opt/brokerdeck" "$bin/brokerdeck"

# The menu entry names the program by its full path: a desktop session's PATH may lack ~/.local/bin.
sed -e "s|^Exec=brokerdeck|Exec=$opt/brokerdeck|" -e "/^Exec=/a TryExec=$opt/brokerdeck" \
    "$here/share/applications/$APP_ID.desktop" > "$share/applications/$APP_ID.desktop"
cp "$here/share/metainfo/$APP_ID.metainfo.xml" "$share/metainfo/"
cp -R "$here/share/icons/hicolor/." "$share/icons/hicolor/"

# Menus and icon themes notice new files by themselves on most desktops; these refresh the caches where used.
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$share/applications" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$share/icons/hicolor" || true

echo "Brokerdeck is installed in $opt."
case ":$PATH:" in
    *":$bin:"*) echo "Run it from the application menu, or as 'brokerdeck' in a terminal." ;;
    *) echo "Run it from the application menu, or as $bin/brokerdeck ($bin is not on your PATH)." ;;
esac
echo "To remove it: $opt/uninstall.sh"
