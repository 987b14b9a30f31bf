#!/bin/sh
# check-core.sh [TREE] -- the rule that src/core is a pure engine, checked:
# it reads no clock and does no I/O (`now` is passed in; events are
# formatted into the caller's buffers). For every file of src/core and
# include/core (TREE, default this repository):
#
#   includes  only headers from the allow-list below (<stdio.h> is there
#             for snprintf; its I/O functions are caught by the two checks
#             after this one), and quoted includes only of the core's own
#             headers (no path: the core's include path is include/core);
#   calls     no clock, I/O, environment, randomness, sleep, thread or
#             syscall name called, and no FILE, stdin/stdout/stderr, asm or
#             cycle counter, in the code with comments and strings taken out;
#   imports   the symbols its object needs (nm -u, compiled -O0
#             -fno-builtin so every call in the source stays a call) are
#             the core's own or on the allow-list of pure libc functions.
#             The core's headers are compiled together as one more object,
#             static inline functions kept, so a header's helper counts too.
#
# Exceptions, by file: flowtab.c maps anonymous memory for the flow table
# (mmap, munmap, madvise: allocation, not I/O).
# Ends with one line "N passed, N failed"; exit 0 only if nothing failed.
set -u

tree=${1:-$(cd "$(dirname "$0")/.." && pwd)}
tree=$(cd "$tree" && pwd) || exit 2
CC=${CC:-cc}

HEADERS_OK="assert.h ctype.h errno.h float.h inttypes.h limits.h math.h stdalign.h
stdarg.h stdbool.h stddef.h stdint.h stdio.h stdlib.h string.h"

# libc functions that touch nothing but the memory they are given
SYMS_OK="memcpy memmove memset memcmp memchr memrchr strlen strnlen strcmp strncmp
strcasecmp strncasecmp strchr strrchr strstr strspn strcspn strpbrk strcpy strncpy stpcpy
strcat strncat strtol strtoul strtoll strtoull strtod strtof strtold strtoimax strtoumax
snprintf vsnprintf sscanf vsscanf qsort bsearch abs labs llabs
malloc calloc realloc free aligned_alloc posix_memalign
__assert_fail __errno_location __ctype_b_loc __ctype_tolower_loc __ctype_toupper_loc
tolower toupper __stack_chk_fail"

# what the calls check looks for (a call: the name, then "(")
CALLS_BAD="clock_gettime clock_getres clock_nanosleep gettimeofday time clock timespec_get
ftime times getrusage
printf vprintf fprintf vfprintf dprintf vdprintf puts fputs putchar putc fputc fwrite
fread fgets fgetc getc getchar gets scanf fscanf vscanf ungetc fflush fopen fdopen freopen
fclose fmemopen open_memstream fileno setvbuf setbuf perror popen pclose tmpfile
open openat open64 creat read write pread pwrite readv writev lseek close dup dup2 pipe
stat fstat lstat unlink rename mkdir opendir readdir
socket socketpair connect bind listen accept accept4 send sendto sendmsg sendmmsg recv
recvfrom recvmsg recvmmsg shutdown setsockopt getsockopt ioctl fcntl poll select epoll_wait
mmap munmap mprotect madvise msync
getenv secure_getenv setenv putenv unsetenv
rand random srand srandom rand_r drand48 lrand48 arc4random getrandom getentropy
sleep usleep nanosleep alarm pause
syscall fork vfork execve execv execvp system kill raise signal sigaction
exit _exit abort atexit"
# names wrong wherever they appear, called or not
WORDS_BAD="FILE stdin stdout stderr asm __asm__ __asm"

# FILE: extra headers and symbols it may use
exceptions() {
	case $1 in
	flowtab.c) echo "sys/mman.h mmap munmap madvise" ;;
	esac
}

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() {
	failed=$((failed + 1))
	echo "FAIL: $*"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# strip FILE: the file with comments, string and character literals blanked
# (newlines kept, so line numbers hold); an #include line keeps its name.
strip() {
	awk '
	BEGIN { st = 0 }	# 0 code, 1 block comment, 2 string, 3 char
	{
		line = $0; out = ""
		keep = (st == 0 && line ~ /^[ \t]*#[ \t]*include/)
		n = length(line)
		for (i = 1; i <= n; i++) {
			c = substr(line, i, 1); d = substr(line, i, 2)
			if (st == 1) {
				if (d == "*/") { st = 0; i++; out = out " " }
				continue
			}
			if (st == 2 || st == 3) {
				if (c == "\\") { if (keep) out = out d; i++; continue }
				if ((st == 2 && c == "\"") || (st == 3 && c == "\047")) { st = 0; out = out c; continue }
				if (keep) out = out c
				continue
			}
			if (d == "/*") { st = 1; i++; continue }
			if (d == "//") break
			if (c == "\"") st = 2
			else if (c == "\047") st = 3
			out = out c
		}
		if (st == 2 || st == 3) st = 0	# an unterminated literal ends with its line
		print out
	}' "$1"
}

# check_includes NAME STRIPPED EXTRA: the <...> headers are on the list (or
# in EXTRA); "..." headers are the core's own, named without a path
check_includes() {
	_bad=$(awk -v ok="$HEADERS_OK $3" -v name="$1" -v core="$tree/include/core $tree/src/core" '
	BEGIN { n = split(ok, a, /[ \t\n]+/); for (i = 1; i <= n; i++) allow[a[i]] = 1 }
	/^[ \t]*#[ \t]*include/ {
		s = $0; sub(/^[ \t]*#[ \t]*include[ \t]*/, "", s)
		if (s ~ /^</) {
			h = s; sub(/^</, "", h); sub(/>.*/, "", h)
			if (!(h in allow)) printf "%s:%d: includes <%s>\n", name, NR, h
		} else if (s ~ /^"/) {
			h = s; sub(/^"/, "", h); sub(/".*/, "", h)
			if (h ~ /\//) printf "%s:%d: includes \"%s\" (a path: only the core'"'"'s own headers)\n", name, NR, h
		} else {
			printf "%s:%d: includes a macro (%s): not checkable\n", name, NR, s
		}
	}' "$2")
	# a quoted header must be one of the core's
	_bad="$_bad$(sed -n 's/^[ \t]*#[ \t]*include[ \t]*"\([^"/]*\)".*/\1/p' "$2" | while read -r _h; do
		[ -f "$tree/src/core/$_h" ] || [ -f "$tree/include/core/$_h" ] ||
			printf '\n%s: includes "%s", not a header of src/core or include/core' "$1" "$_h"
	done)"
	_bad=$(echo "$_bad" | sed '/^$/d')
	if [ -z "$_bad" ]; then ok; else bad "$1: headers outside the core's allow-list"; echo "$_bad" | sed 's/^/  /'; fi
}

# check_calls NAME STRIPPED EXTRA: no name of CALLS_BAD called (unless in
# EXTRA or a function of the core itself), no WORDS_BAD, no cycle counter
check_calls() {
	_bad=$(awk -v bad="$CALLS_BAD" -v words="$WORDS_BAD" -v extra="$3" -v name="$1" \
	    -v own="$tmp/own" '
	BEGIN {
		while ((getline w < own) > 0) mine[w] = 1
		n = split(bad, a, /[ \t\n]+/); for (i = 1; i <= n; i++) call[a[i]] = 1
		n = split(words, a, /[ \t\n]+/); for (i = 1; i <= n; i++) word[a[i]] = 1
		n = split(extra, a, /[ \t\n]+/); for (i = 1; i <= n; i++) delete call[a[i]]
		for (w in mine) delete call[w]
	}
	{
		s = $0
		while (match(s, /[A-Za-z_][A-Za-z0-9_]*/)) {
			w = substr(s, RSTART, RLENGTH)
			pre = RSTART > 1 ? substr(s, RSTART - 1, 1) : ""
			s = substr(s, RSTART + RLENGTH)
			rest = s; sub(/^[ \t]*/, "", rest)
			member = (pre == "." || pre == ">")
			if (w in word) printf "%s:%d: uses %s\n", name, NR, w
			else if (w ~ /rdtsc|readcyclecounter/) printf "%s:%d: reads a cycle counter (%s)\n", name, NR, w
			else if (w ~ /^pthread_/) printf "%s:%d: uses threads (%s)\n", name, NR, w
			else if (!member && (w in call) && substr(rest, 1, 1) == "(") printf "%s:%d: calls %s()\n", name, NR, w
		}
	}' "$2")
	if [ -z "$_bad" ]; then ok; else bad "$1: clock, I/O or other impure calls"; echo "$_bad" | sed 's/^/  /'; fi
}

echo "== the core is pure: no clock, no I/O ($tree)"
cd "$tree" || exit 2
mkdir -p "$tmp/s" "$tmp/o"

# ---- what the objects import (first: their own names are not suspects below) ----

FLAGS="-std=gnu11 -D_GNU_SOURCE -O0 -fno-builtin -w -Iinclude/core"
for fl in -fkeep-inline-functions -fkeep-static-functions; do
	if $CC -Werror $fl -x c -c -o "$tmp/probe.o" /dev/null 2>/dev/null; then FLAGS="$FLAGS $fl"; fi
done
if ! command -v nm >/dev/null 2>&1; then
	bad "nm not found (binutils): the core's imports are not checked"
	echo "core: $passed passed, $failed failed"
	exit 1
fi
: >"$tmp/hdr.c"
for h in include/core/*.h src/core/*.h; do
	[ -f "$h" ] && echo "#include \"$tree/$h\"" >>"$tmp/hdr.c"
done
objs=
for f in src/core/*.c "$tmp/hdr.c"; do
	o=$tmp/o/$(basename "$f" .c).o
	# shellcheck disable=SC2086 # FLAGS is a list
	if $CC $FLAGS -c -o "$o" "$f" 2>"$tmp/cc.err"; then
		objs="$objs $o"
	else
		bad "$f does not compile for the imports check ($CC $FLAGS)"
		head -5 "$tmp/cc.err" | sed 's/^/  /'
	fi
done
# shellcheck disable=SC2086 # one word per object
nm --defined-only $objs 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u >"$tmp/own"
# shellcheck disable=SC2086 # one name a line
printf '%s\n' $SYMS_OK >"$tmp/ok"
for o in $objs; do
	b=$(basename "$o" .o)
	if [ "$b" = hdr ]; then name="include/core/*.h src/core/*.h"; else name=src/core/$b.c; fi
	exceptions "$b.c" | tr ' ' '\n' | sed '/^$/d' >"$tmp/ex"
	# a fortified or C23 alias of an allowed function is allowed too
	nm -u "$o" | awk '{ print $NF }' | sort -u | grep -vxFf "$tmp/own" |
	    while read -r sym; do
		base=$(echo "$sym" | sed -e 's/^__\(.*\)_chk$/\1/' -e 's/^__isoc[0-9]*_//')
		grep -qxF "$base" "$tmp/ok" || grep -qxF "$base" "$tmp/ex" || echo "$sym"
	done >"$tmp/imp"
	if [ -s "$tmp/imp" ]; then
		bad "$name imports what the core may not use:"
		sed "s|^|  $name: |" "$tmp/imp"
	else
		ok
	fi
done

# ---- the sources ----

for f in src/core/*.c src/core/*.h include/core/*.h; do
	[ -f "$f" ] || continue
	b=$(basename "$f")
	s=$tmp/s/$(echo "$f" | tr / _)
	strip "$f" >"$s"
	ex=$(exceptions "$b")
	check_includes "$f" "$s" "$ex"
	check_calls "$f" "$s" "$ex"
done

echo "core: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
