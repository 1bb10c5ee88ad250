#!/bin/sh
# Build the Debian 13 ("trixie") disk image the system tests boot.
#
#   build.sh OUTPUT_DIR WHEEL_DIR
#
# WHEEL_DIR holds the wheels of Bitpoll's runtime dependencies for the
# guest's Python (3.13) and a requirements.txt naming them; they are
# installed into the virtual environment /opt/bitpoll here, in the chroot at
# native speed, so that a test run only adds Bitpoll's own wheel. Writes
# OUTPUT_DIR/disk.img (raw ext4, the root file system), vmlinuz and
# initrd.img for a direct kernel boot. Needs root (mmdebstrap's root mode and
# file ownership kept by mkfs.ext4 -d) and Debian's package mirror.
#
# python-ldap (for django-auth-ldap, Bitpoll's `ldap` extra) has no wheels:
# Debian's python3-ldap (with its pyasn1) is linked into the venv instead of
# building it; slapd (disabled, the tests run their own) is there for the
# LDAP tests. journald copies warnings and worse to the serial console, which
# the tests read when a guest stops answering.
#
# The packages below and this script are the cache key of the image
# (tests/system/image.py): change either and the next run rebuilds.
set -eu

out=$1
wheels=$2
suite=trixie
packages=systemd,systemd-sysv,linux-image-amd64,qemu-guest-agent,python3,python3-venv,udev,dbus,postgresql,iproute2,curl,slapd,ldap-utils,python3-ldap

work=$(mktemp -d "$out/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/rootfs

mmdebstrap --variant=apt --quiet \
	--include="$packages" \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--customize-hook='echo bitpoll-test > "$1/etc/hostname"' \
	--customize-hook='printf "/dev/vda / ext4 rw 0 1\n" > "$1/etc/fstab"' \
	--customize-hook='cp -r '"$wheels"' "$1/tmp/wheels"' \
	--customize-hook='chroot "$1" python3 -m venv /opt/bitpoll' \
	--customize-hook='for f in "$1"/usr/lib/python3/dist-packages/ldap "$1"/usr/lib/python3/dist-packages/ldapurl.py "$1"/usr/lib/python3/dist-packages/ldif.py "$1"/usr/lib/python3/dist-packages/_ldap.* "$1"/usr/lib/python3/dist-packages/python_ldap-* "$1"/usr/lib/python3/dist-packages/pyasn1*; do ln -s "${f#$1}" "$1"/opt/bitpoll/lib/python3*/site-packages/; done' \
	--customize-hook='chroot "$1" /opt/bitpoll/bin/pip install --quiet --no-index --no-cache-dir --find-links /tmp/wheels -r /tmp/wheels/requirements.txt' \
	--customize-hook='rm -rf "$1/tmp/wheels"' \
	--customize-hook='chroot "$1" systemctl disable postgresql.service apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer dpkg-db-backup.timer slapd.service || true' \
	--customize-hook='chroot "$1" systemctl mask systemd-networkd-wait-online.service getty@tty1.service || true' \
	--customize-hook='mkdir -p "$1/mnt/project" "$1/mnt/wheel"' \
	--customize-hook='mkdir -p "$1/etc/systemd/journald.conf.d" && printf "[Journal]\nForwardToConsole=yes\nMaxLevelConsole=warning\nTTYPath=/dev/ttyS0\n" > "$1/etc/systemd/journald.conf.d/console.conf"' \
	"$suite" "$root"

cp "$root"/boot/vmlinuz-* "$work/vmlinuz"
cp "$root"/boot/initrd.img-* "$work/initrd.img"
truncate -s 4G "$work/disk.img"
mkfs.ext4 -q -F -L bitpoll-root -d "$root" "$work/disk.img"
mv "$work/vmlinuz" "$work/initrd.img" "$work/disk.img" "$out/"
