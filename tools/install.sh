#!/usr/bin/env bash
# Installs ggzd, its tools, game servers, descriptions, man pages, shell
# completions, configuration and service files under a PREFIX.
#
#   tools/install.sh [--prefix PREFIX] [--destdir DESTDIR] [--bin-dir DIR]
#
#   --prefix   where the files will live at run time [/usr/local]; the
#              binaries derive all their default paths from it (ggzd(8) FILES)
#   --destdir  staging root for packagers: files go to DESTDIR/PREFIX/...,
#              but every path written into them names PREFIX [""]
#   --bin-dir  take already-built binaries from DIR instead of running
#              `cargo build --release` (e.g. target/debug in the tests);
#              run as root, the script never builds: it takes target/release
#
# The environment variables PREFIX, DESTDIR and BIN_DIR work as well.
#
# Layout (sysconfdir is /etc when PREFIX is /usr, else PREFIX/etc; the
# state directory likewise /var/lib/ggzd or PREFIX/var/lib/ggzd):
#   PREFIX/bin/{ggzd,ggzduedit,ggzd-ctl,ggz}  PREFIX/lib/ggzd/ggzd-{tictactoe,lockstep}
#   PREFIX/share/ggzd/{games,rooms}/      PREFIX/share/man/man{1,3,5,8}/
#   PREFIX/share/ggzd/web/ (the web client; ggzd serves the copy built into
#   it unless [web] static_dir points here)
#   SYSCONFDIR/ggzd/{ggzd.toml,ggzd.motd} SYSCONFDIR/logrotate.d/ggzd
#   PREFIX/lib/systemd/system/ggzd.{service,socket}, ggzd-web.socket,
#   ggzd@.service (one instance per cluster node, docs/cluster.md)
#   PREFIX/lib/{sysusers.d,tmpfiles.d}/ggzd.conf
#   bash, zsh and fish completions below PREFIX/share
# An existing configuration (ggzd.toml, ggzd.motd) is kept; the new one is
# written beside it as *.new.
set -euo pipefail

src="$(cd "$(dirname "$0")/.." && pwd)"
prefix="${PREFIX:-/usr/local}"
destdir="${DESTDIR:-}"
bin_dir="${BIN_DIR:-}"

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "$1"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="${2:?--prefix needs a value}"; shift 2 ;;
    --prefix=*) prefix="${1#*=}"; shift ;;
    --destdir) destdir="${2:?--destdir needs a value}"; shift 2 ;;
    --destdir=*) destdir="${1#*=}"; shift ;;
    --bin-dir) bin_dir="${2:?--bin-dir needs a value}"; shift 2 ;;
    --bin-dir=*) bin_dir="${1#*=}"; shift ;;
    -h|--help) usage 0 ;;
    *) echo "install.sh: unknown argument: $1" >&2; usage 1 >&2 ;;
  esac
done

case "$prefix" in
  /*) ;;
  *) echo "install.sh: --prefix must be absolute: $prefix" >&2; exit 1 ;;
esac
prefix="${prefix%/}"
[ -n "$prefix" ] || prefix=/
if [ "$prefix" = /usr ] || [ "$prefix" = / ]; then
  sysconfdir=/etc
  statedir=/var/lib/ggzd
  logdir=/var/log/ggzd
else
  sysconfdir="$prefix/etc"
  statedir="$prefix/var/lib/ggzd"
  logdir="$prefix/var/log/ggzd"
fi
p="${prefix%/}"   # "" for /, so that "$p/bin" is /bin

if [ -z "$bin_dir" ]; then
  bin_dir="$src/target/release"
  if [ "$(id -u)" -eq 0 ]; then
    # As with "make && sudo make install": root installs what the user
    # built, and never builds (root-owned files in target/, root's cargo).
    [ -x "$bin_dir/ggzd" ] || {
      echo "install.sh: build first, as yourself: cargo build --release --workspace" >&2
      exit 1
    }
  else
    (cd "$src" && cargo build --release --locked -p ggzd -p ggzd-tools -p tictactoe -p lockstep)
  fi
fi
for b in ggzd ggzduedit ggzd-ctl ggz ggzd-tictactoe ggzd-lockstep; do
  [ -x "$bin_dir/$b" ] || { echo "install.sh: $bin_dir/$b is missing" >&2; exit 1; }
done

d="$destdir"
put() { # put MODE SOURCE TARGET (TARGET without DESTDIR)
  install -D -m "$1" "$2" "$d$3"
}
# Text with the build-time example paths replaced by this prefix's.
subst() {
  sed -e "s|/usr/bin/ggzd|$p/bin/ggzd|g" \
      -e "s|/etc/ggzd/|$sysconfdir/ggzd/|g" \
      -e "s|/var/lib/ggzd|$statedir|g" \
      -e "s|/var/log/ggzd|$logdir|g" \
      -e "s|/usr/lib/ggzd|$p/lib/ggzd|g" "$1"
}
put_subst() { # put_subst SOURCE TARGET
  local tmp
  tmp="$(mktemp)"
  subst "$1" >"$tmp"
  install -D -m 0644 "$tmp" "$d$2"
  rm -f "$tmp"
}
# Configuration the administrator may have edited is never overwritten.
put_config() { # put_config SOURCE TARGET
  if [ -e "$d$2" ]; then
    put 0644 "$1" "$2.new"
    echo "install.sh: kept $d$2; the shipped one is $d$2.new"
  else
    put 0644 "$1" "$2"
  fi
}

for b in ggzd ggzduedit ggzd-ctl ggz; do
  put 0755 "$bin_dir/$b" "$p/bin/$b"
done
put 0755 "$bin_dir/ggzd-tictactoe" "$p/lib/ggzd/ggzd-tictactoe"
put 0755 "$bin_dir/ggzd-lockstep" "$p/lib/ggzd/ggzd-lockstep"

shopt -s nullglob
for f in "$src"/games/*.toml "$src"/games/*.dsc; do
  put 0644 "$f" "$p/share/ggzd/games/$(basename "$f")"
done
for f in "$src"/rooms/*.toml "$src"/rooms/*.room; do
  put 0644 "$f" "$p/share/ggzd/rooms/$(basename "$f")"
done
for f in "$src"/web/*; do
  if [ -f "$f" ]; then put 0644 "$f" "$p/share/ggzd/web/$(basename "$f")"; fi
done
for f in "$src"/man/*.[1-8]; do
  put 0644 "$f" "$p/share/man/man${f##*.}/$(basename "$f")"
done
shopt -u nullglob

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for b in ggzd ggzduedit ggzd-ctl ggz; do
  "$bin_dir/$b" --completions bash >"$tmp/$b.bash"
  "$bin_dir/$b" --completions zsh >"$tmp/_$b"
  "$bin_dir/$b" --completions fish >"$tmp/$b.fish"
  put 0644 "$tmp/$b.bash" "$p/share/bash-completion/completions/$b"
  put 0644 "$tmp/_$b" "$p/share/zsh/site-functions/_$b"
  put 0644 "$tmp/$b.fish" "$p/share/fish/vendor_completions.d/$b.fish"
done

put_config "$src/conf/ggzd.toml" "$sysconfdir/ggzd/ggzd.toml"
put_config "$src/conf/ggzd.motd" "$sysconfdir/ggzd/ggzd.motd"
put_subst "$src/conf/ggzd.service" "$p/lib/systemd/system/ggzd.service"
put_subst "$src/conf/ggzd@.service" "$p/lib/systemd/system/ggzd@.service"
put_subst "$src/conf/ggzd.socket" "$p/lib/systemd/system/ggzd.socket"
put_subst "$src/conf/ggzd-web.socket" "$p/lib/systemd/system/ggzd-web.socket"
put_subst "$src/conf/ggzd.sysusers" "$p/lib/sysusers.d/ggzd.conf"
put_subst "$src/conf/ggzd.tmpfiles" "$p/lib/tmpfiles.d/ggzd.conf"
put_subst "$src/conf/ggzd.logrotate" "$sysconfdir/logrotate.d/ggzd"

echo "installed ggzd under $d$p (configuration in $sysconfdir/ggzd, state in $statedir)"
if [ -z "$d" ]; then
  echo "next, as root: systemd-sysusers; systemd-tmpfiles --create; systemctl daemon-reload;"
  echo "               systemctl enable --now ggzd.service"
fi
