#!/usr/bin/env bash
# Prints a PostgreSQL URL for casetrack on stdout; diagnostics go to stderr.
#
#   scripts/postgres.sh [--fast] [DBNAME]   DBNAME defaults to "casetrack"
#   scripts/postgres.sh status              shows the private clusters
#   scripts/postgres.sh stop                stops the private clusters
#
# Order: $DATABASE_URL if set; else the local server at 127.0.0.1:5432 (user
# postgres, trust auth); else a private cluster started from the installed
# binaries and reused by later runs. DBNAME is created if missing (not when
# $DATABASE_URL is used). --fast selects a separate private cluster that runs
# without fsync (for tests only: its data may not survive a crash).
#
# Environment:
#   CASETRACK_PRIVATE_PG=1   skip the local server, always use a private cluster
#   CASETRACK_PGDATA=DIR     where private clusters live (default: .pgdata/ in
#                            the project, or /tmp when user postgres cannot reach it)
#   PG_BIN=DIR               PostgreSQL binaries (default /usr/lib/postgresql/15/bin,
#                            else the newest /usr/lib/postgresql/*/bin, else $PATH)
set -euo pipefail

say() { echo "postgres.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -z ${PG_BIN:-} ]]; then # Debian's 15, else the newest installed, else $PATH
	PG_BIN=/usr/lib/postgresql/15/bin
	[[ -x $PG_BIN/initdb ]] || PG_BIN=$(find /usr/lib/postgresql -path '*/bin/initdb' 2>/dev/null | sort -V | tail -n 1 | xargs -r dirname || true)
	[[ -n $PG_BIN ]] || PG_BIN=$(dirname "$(command -v initdb || echo /usr/lib/postgresql/15/bin/initdb)")
fi
opts='sslmode=disable&connect_timeout=5'
url() { echo "postgres://postgres@127.0.0.1:$1/$2?$opts"; }

mode=url fast=0 db=casetrack
for arg in "$@"; do
	case $arg in
	--fast) fast=1 ;;
	stop | status) mode=$arg ;;
	-*) die "unknown flag $arg (usage: postgres.sh [--fast] [DBNAME] | status | stop)" ;;
	*) db=$arg ;;
	esac
done
[[ $db =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "bad database name '$db' (letters, digits, _)"

psql_bin() { if [[ -x $PG_BIN/psql ]]; then echo "$PG_BIN/psql"; else echo psql; fi; }

# ensure_db PORT: creates database $db on the server at 127.0.0.1:PORT if missing.
ensure_db() {
	local admin psql
	admin=$(url "$1" postgres) psql=$(psql_bin)
	[[ $("$psql" "$admin" -XAtqc "SELECT 1 FROM pg_database WHERE datname = '$db'") == 1 ]] && return 0
	say "creating database $db on port $1"
	"$psql" "$admin" -XAtqc "CREATE DATABASE \"$db\"" >/dev/null 2>&1 ||
		[[ $("$psql" "$admin" -XAtqc "SELECT 1 FROM pg_database WHERE datname = '$db'") == 1 ]] ||
		die "could not create database $db on port $1"
}

# ---- private clusters --------------------------------------------------------

# as_pg CMD...: runs CMD as the postgres user (initdb and pg_ctl refuse root).
as_pg() {
	if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# base: the folder holding the private clusters, one per flavour (main, test).
base=${CASETRACK_PGDATA:-}
if [[ -z $base ]]; then
	base=$repo/.pgdata
	# The postgres user must reach the folder, and unix socket paths are short.
	if [[ $(id -u) == 0 ]] && ! runuser -u postgres -- test -x "$repo" 2>/dev/null || ((${#base} > 80)); then
		base=/tmp/casetrack-pgdata-$(printf %s "$repo" | cksum | cut -d' ' -f1)
	fi
fi

# running DIR: prints the port of the cluster in DIR if it runs and answers.
running() {
	local dir=$1 port
	[[ -f $dir/data/postmaster.pid ]] || return 1
	as_pg "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 || return 1
	port=$(sed -n 4p "$dir/data/postmaster.pid")
	[[ $port =~ ^[0-9]+$ ]] && "$PG_BIN/pg_isready" -q -U postgres -h 127.0.0.1 -p "$port" -t 5 || return 1
	echo "$port"
}

port_free() { ! (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start DIR FAST: initialises (once) and starts the cluster in DIR; prints its port.
# The server must not inherit the lock (fd 9), or it would hold it forever.
start() {
	local dir=$1 fast=$2 port settings="-c listen_addresses=127.0.0.1"
	((fast)) && settings+=" -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
	[[ -x $PG_BIN/initdb ]] || die "no PostgreSQL binaries in $PG_BIN to start a private cluster (install PostgreSQL, or set PG_BIN or DATABASE_URL)"
	if [[ $(id -u) == 0 ]] && ! id postgres >/dev/null 2>&1; then
		die "initdb refuses root and there is no postgres user; run as another user or set DATABASE_URL"
	fi
	mkdir -p "$dir"
	[[ $(id -u) == 0 ]] && chown postgres: "$dir"
	as_pg test -w "$dir" || die "user postgres cannot write $dir (set CASETRACK_PGDATA)"
	if [[ ! -f $dir/data/PG_VERSION ]]; then
		say "initialising a private cluster in $dir"
		rm -rf "$dir/data"
		as_pg "$PG_BIN/initdb" -N -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
			{ tail -n 20 "$dir/initdb.log" >&2; die "initdb failed (log: $dir/initdb.log)"; }
	fi
	# Prefer the port used last time, so that the URL stays the same.
	port=$(cat "$dir/port" 2>/dev/null || echo 55432)
	for _ in $(seq 1 20); do
		if port_free "$port"; then
			if as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 start \
				-o "-p $port -k '$dir' $settings" >/dev/null 2>&1 9>&- &&
				"$PG_BIN/pg_isready" -q -U postgres -h 127.0.0.1 -p "$port" -t 5; then
				echo "$port" >"$dir/port"
				say "started the private cluster in $dir on port $port"
				echo "$port"
				return 0
			fi
			# Another server may have taken the port meanwhile; a real error repeats.
			as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
			say "could not start on port $port; last lines of $dir/log:"
			tail -n 3 "$dir/log" >&2 || true
			sleep 0.5
		fi
		port=$((port + 1))
	done
	die "could not start the private cluster in $dir (log: $dir/log)"
}

if [[ $mode != url ]]; then
	compgen -G "$base/*/data/PG_VERSION" >/dev/null || say "no private clusters in $base"
	for dir in "$base"/main "$base"/test; do
		[[ -f $dir/data/PG_VERSION ]] || continue
		if ! as_pg "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
			say "$dir: stopped"
		elif [[ $mode == stop ]]; then
			as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || die "could not stop $dir"
			say "$dir: stopped now"
		elif port=$(running "$dir"); then
			say "$dir: running: $(url "$port" postgres)"
		else
			say "$dir: running but not answering (log: $dir/log)"
		fi
	done
	exit 0
fi

# ---- choose a server ------------------------------------------------------------

if [[ -n ${DATABASE_URL:-} ]]; then
	echo "$DATABASE_URL"
	exit 0
fi

if [[ ${CASETRACK_PRIVATE_PG:-0} != 1 ]] && command -v pg_isready >/dev/null &&
	pg_isready -q -U postgres -h 127.0.0.1 -p 5432 -t 3; then
	if "$(psql_bin)" "$(url 5432 postgres)" -XAtqc 'SELECT 1' >/dev/null 2>&1; then
		ensure_db 5432
		url 5432 "$db"
		exit 0
	fi
	say "a server answers at 127.0.0.1:5432 but user postgres cannot log in without a password; using a private cluster"
fi

dir=$base/main
((fast)) && dir=$base/test
mkdir -p "$base"
exec 9>"$base/.lock"
flock -w 120 9 || die "timed out waiting for $base/.lock"
port=$(running "$dir") || port=$(start "$dir" "$fast")
ensure_db "$port"
url "$port" "$db"
