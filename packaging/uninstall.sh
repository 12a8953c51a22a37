#!/bin/sh
# Remove what install.sh put in place for this user: the program, the command link, the menu entry,
# the icons and the app metadata. Profiles, the vault and logs stay (see the message at the end).
set -eu
APP_ID=io.brokerdeck.Brokerdeck
opt="$HOME/.local/opt/brokerdeck"
bin="$HOME/.local/bin"
share="${XDG_DATA_HOME:-$HOME/.local/share}"

# The command link goes only when it is ours: a brokerdeck installed another way keeps its command.
if [ -L "$bin/brokerdeck" ] && [ "$(readlink "$bin/brokerdeck")" = "$opt/brokerdeck" ]; then
    rm -f "$bin/brokerdeck"
fi
rm -f "$share/applications/$APP_ID.desktop" "$share/metainfo/$APP_ID.metainfo.xml"
rm -f "$share"/icons/hicolor/*/apps/"$APP_ID".png "$share/icons/hicolor/scalable/apps/$APP_ID.svg"
rm -rf "$opt"

command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$share/applications" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$share/icons/hicolor" || true

echo "Brokerdeck is removed. Your profiles, vault and logs are kept in ${XDG_CONFIG_HOME:-~/.config}/brokerdeck"
echo "and $share/brokerdeck (or under \$BROKERDECK_HOME); delete those folders to remove them too."
