#!/bin/sh
# s06_halfclose_v6.sh -- scenario 1 (the half-close) over IPv6.
FAMILY=6 exec sh "$(dirname "$0")/s01_halfclose.sh" "$@"
