//! A PostgreSQL server for tests: `DATABASE_URL` when it is set (CI starts one),
//! otherwise a throwaway cluster started here from the machine's PostgreSQL
//! binaries, in a temporary directory on a free port, stopped and removed when
//! the test process ends. Tests never skip for want of a server.

use std::io::BufRead;
use std::sync::OnceLock;

static URL: OnceLock<Result<String, String>> = OnceLock::new();

/// The address of a PostgreSQL database whose role may create databases.
/// Panics with what to install when there is no server and none can be started.
pub fn database_url() -> String {
    match URL.get_or_init(start) {
        Ok(u) => u.clone(),
        Err(e) => panic!("{e}"),
    }
}

/// A fresh, empty database for one test.
pub async fn new_database(prefix: &str) -> String {
    let url = database_url();
    let mut b = [0u8; 4];
    let _ = getrandom::fill(&mut b);
    let name = format!("{prefix}_{}_{:08x}", std::process::id(), u32::from_le_bytes(b));
    crate::create_database(&url, &name)
        .await
        .unwrap_or_else(|e| panic!("cannot create a test database on {}: {e}", crate::redact(&url)))
}

const SCRIPT: &str = r#"
set -e
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/initdb" ] || { echo "error: PostgreSQL is not installed (apt-get install postgresql), or set DATABASE_URL; .ci/run does both"; exit 1; }
DIR=$(mktemp -d -t corridor-test-pg.XXXXXX)
RUN=""
if [ "$(id -u)" = 0 ]; then chown postgres: "$DIR"; RUN="runuser -u postgres --"; fi
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
$RUN "$PGBIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
$RUN "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -t 60 start -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$DIR -c fsync=off -c max_connections=300" >/dev/null
echo "postgres://postgres@127.0.0.1:$PORT/postgres"
exec >/dev/null 2>&1
while kill -0 "$WATCH" 2>/dev/null; do sleep 1; done
$RUN "$PGBIN/pg_ctl" -D "$DIR/data" -m immediate stop || true
rm -rf "$DIR"
"#;

fn start() -> Result<String, String> {
    if let Ok(u) = std::env::var("DATABASE_URL")
        && !u.is_empty()
    {
        return Ok(u);
    }
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(SCRIPT)
        .env("WATCH", std::process::id().to_string())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start a shell to start PostgreSQL: {e}"))?;
    let out = child.stdout.take().ok_or("no output from the PostgreSQL starter")?;
    let mut line = String::new();
    std::io::BufReader::new(out)
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the PostgreSQL starter: {e}"))?;
    let line = line.trim().to_string();
    if line.starts_with("postgres://") {
        // The watcher stays behind and stops the server when this process ends.
        std::mem::forget(child);
        Ok(line)
    } else {
        Err(format!(
            "no PostgreSQL for the store's tests: {line}; set DATABASE_URL to a server whose role may create databases, or run .ci/run"
        ))
    }
}
