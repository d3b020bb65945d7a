# A throwaway PostgreSQL on loopback, for scripts/test and scripts/bench (sourced, not run).
#
#   source scripts/lib/postgres.sh
#   private_postgres_start        # sets PRIVATE_POSTGRES_URL (and _DIR, _OPTIONS, pg_bin); installs
#                                 # PostgreSQL 15 when missing
#   private_postgres_stop         # stops it and deletes its files (call it from an EXIT trap)
#
# The server runs as `postgres` when we are root (initdb refuses root), else as ourselves, with
# fsync and synchronous commits off: it holds nothing worth keeping. PRIVATE_POSTGRES_EXTRA_OPTIONS
# adds (or overrides) server options.

pg_bin=/usr/lib/postgresql/15/bin
private_postgres_dir=""

say() { printf '==> %s\n' "$*" >&2; }

as_root() {
    if [[ "$(id -u)" -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

as_pg() {
    if [[ "$(id -u)" -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A free TCP port on loopback.
free_port() {
    local port
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null || true)"
    if [[ -z "$port" ]]; then
        for candidate in $(seq 55432 55532); do
            if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
        done
    fi
    [[ -n "$port" ]] || { say "found no free port"; return 1; }
    echo "$port"
}

private_postgres_start() {
    if [[ ! -x "$pg_bin/initdb" ]]; then
        say "PostgreSQL 15 not found in $pg_bin: installing it with apt-get"
        as_root apt-get update
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql-15 postgresql-contrib \
            || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql postgresql-contrib
        if [[ ! -x "$pg_bin/initdb" ]]; then
            pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
            [[ -x "$pg_bin/initdb" ]] || { say "no initdb after installing PostgreSQL"; return 1; }
        fi
    fi

    private_postgres_dir="$(mktemp -d "${TMPDIR:-/tmp}/eipbroker-pg.XXXXXX")"
    [[ "$(id -u)" -eq 0 ]] && chown postgres:postgres "$private_postgres_dir"
    chmod 700 "$private_postgres_dir"
    local port
    port="$(free_port)"

    say "initdb into $private_postgres_dir/data ($("$pg_bin/postgres" --version))"
    as_pg "$pg_bin/initdb" -D "$private_postgres_dir/data" --auth=trust --username=postgres --encoding=UTF8 --locale=C --no-sync \
        >"$private_postgres_dir/initdb.log" 2>&1 || { cat "$private_postgres_dir/initdb.log" >&2; return 1; }

    PRIVATE_POSTGRES_OPTIONS="-c listen_addresses=127.0.0.1 -p $port -k $private_postgres_dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=1000 -c shared_buffers=64MB ${PRIVATE_POSTGRES_EXTRA_OPTIONS:-}"
    say "starting PostgreSQL on 127.0.0.1:$port (fsync off, max_connections 1000)"
    as_pg "$pg_bin/pg_ctl" -D "$private_postgres_dir/data" -l "$private_postgres_dir/server.log" -W \
        -o "$PRIVATE_POSTGRES_OPTIONS" start >/dev/null

    local ready=0
    for _ in $(seq 1 150); do
        if "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres; then ready=1; break; fi
        sleep 0.2
    done
    if [[ "$ready" -ne 1 ]]; then
        say "PostgreSQL did not become ready within 30 s; its log:"
        cat "$private_postgres_dir/server.log" >&2 || true
        return 1
    fi
    PRIVATE_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
    PRIVATE_POSTGRES_DIR="$private_postgres_dir"
}

private_postgres_stop() {
    [[ -n "$private_postgres_dir" ]] || return 0
    if [[ -f "$private_postgres_dir/data/postmaster.pid" ]]; then
        say "stopping PostgreSQL"
        as_pg "$pg_bin/pg_ctl" -D "$private_postgres_dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
    say "removing $private_postgres_dir"
    rm -rf "$private_postgres_dir"
    private_postgres_dir=""
}
