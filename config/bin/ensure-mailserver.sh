#!/usr/bin/env bash
# The e-mail tests read mail from Debian's dovecot (started per test from a generated config, never
# as a system service); install it when missing. SMTP comes from aiosmtpd, a Python dev dependency.
set -euo pipefail
if [ -x /usr/sbin/dovecot ]; then exit 0; fi
echo "[mailserver] installing dovecot-imapd from Debian packages" >&2
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
$SUDO apt-get update -qq
# policy-rc.d may refuse to start the packaged service (containers): the tests do not need it.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq dovecot-imapd >/dev/null
