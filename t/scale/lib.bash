# Sourced by every t/scale scenario (the runner runs only *.sh): the TAP
# lines of the contract in t/scale/run and their counts. A scenario may
# define its own note() after sourcing (20-sentinel stamps the seconds).
N=0
FAILS=0
ok() { N=$((N + 1)); echo "ok $N - $*"; }
notok() { N=$((N + 1)); FAILS=$((FAILS + 1)); echo "not ok $N - $*"; }
check() { # check WHAT COMMAND...: ok when COMMAND succeeds
	local what=$1
	shift
	if "$@"; then ok "$what"; else notok "$what"; fi
}
note() { echo "# $*"; }
