//! What the binary's tests share: running `ocop`, starting and stopping `ocop serve`, and a
//! small HTTP/1.1 client over a plain socket (the tests need nothing more than GET with a
//! header, and no HTTP crate is a dependency of the binary).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `ocop` with `args` to completion (logs at `warn`, no database from the environment).
pub fn ocop(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ocop"))
        .args(args)
        .env("OCOP_LOG", "warn")
        .env_remove("OCOP_DATABASE_URL")
        .env_remove("OCOP_SECRET_FILE")
        .env_remove("OCOP_SMTP_URL")
        .env_remove("OCOP_PUBLIC_URL")
        .output()
        .expect("cannot run ocop")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A fresh directory under the system's temporary directory, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!("ocop_{name}_{}_{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).expect("cannot create a temporary directory");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A path inside, as text.
    pub fn file(&self, name: &str) -> String {
        self.0.join(name).to_str().expect("UTF-8 path").to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An answer of the server.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// `GET path` on 127.0.0.1:`port` with extra headers; `None` when nothing answers.
pub fn get(port: u16, path: &str, headers: &[(&str, &str)]) -> Option<Response> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .ok()?;
    let mut request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Option<Response> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body)?;
    }
    Some(Response {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn dechunk(mut raw: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let end = raw.windows(2).position(|w| w == b"\r\n")?;
        let size = std::str::from_utf8(&raw[..end]).ok()?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        raw = &raw[end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(raw.get(..size)?);
        raw = raw.get(size + 2..)?;
    }
}

/// `POST path` with a JSON body and extra headers.
pub fn post_json(port: u16, path: &str, headers: &[(&str, &str)], body: &str) -> Response {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("cannot connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    parse_response(&raw).unwrap_or_else(|| panic!("no HTTP answer to POST {path}"))
}

/// `GET` that must answer.
pub fn must_get(port: u16, path: &str, headers: &[(&str, &str)]) -> Response {
    get(port, path, headers).unwrap_or_else(|| panic!("no answer to GET {path}"))
}

/// Percent-encodes a query parameter's value.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A running `ocop serve`, killed if the test panics before stopping it.
pub struct Server {
    pub child: Child,
    pub port: u16,
    /// Where its standard error goes.
    pub log: PathBuf,
}

impl Server {
    /// Starts `ocop serve --addr 127.0.0.1:<free port> <args>` and waits until /readyz
    /// answers 200 (at most `ready_in`).
    pub fn start(args: &[&str], log: PathBuf, ready_in: Duration) -> Server {
        let mut server = Server::spawn(args, log);
        server.wait_ready(ready_in);
        server
    }

    /// Starts `ocop serve --addr 127.0.0.1:<free port> <args>` without waiting.
    pub fn spawn(args: &[&str], log: PathBuf) -> Server {
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let mut all = vec!["serve", "--addr", addr.as_str()];
        all.extend_from_slice(args);
        let child = Command::new(env!("CARGO_BIN_EXE_ocop"))
            .args(&all)
            .env("OCOP_LOG", "info,sqlx=warn,tower_http=warn")
            .env_remove("OCOP_DATABASE_URL")
            .env_remove("OCOP_SECRET_FILE")
            .env_remove("OCOP_SMTP_URL")
            .env_remove("OCOP_PUBLIC_URL")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("cannot create the server's log"))
            .spawn()
            .expect("cannot start ocop serve");
        Server { child, port, log }
    }

    /// Waits until /readyz answers 200; panics with the server's log if it exits first or
    /// takes longer than `within`.
    pub fn wait_ready(&mut self, within: Duration) {
        let start = Instant::now();
        while start.elapsed() < within {
            if get(self.port, "/readyz", &[]).is_some_and(|r| r.status == 200) {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("ocop serve exited early ({status}):\n{}", self.log_text());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "ocop serve was not ready within {within:?}:\n{}",
            self.log_text()
        );
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("cannot run kill");
        assert!(status.success(), "kill -TERM {} failed", self.child.id());
    }

    /// Waits for the exit (at most `within`).
    pub fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("cannot wait for ocop serve") {
                return status;
            }
            assert!(
                start.elapsed() < within,
                "ocop serve on port {} did not exit within {within:?} after SIGTERM:\n{}",
                self.port,
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Polls `check` every 100 ms until it holds; panics with `what` and the last state after
/// `within`.
pub fn wait_until<T: std::fmt::Debug>(
    within: Duration,
    what: &str,
    mut check: impl FnMut() -> (bool, T),
) -> T {
    let start = Instant::now();
    loop {
        let (done, state) = check();
        if done {
            return state;
        }
        assert!(
            start.elapsed() < within,
            "{what}: not reached within {within:?}; last state: {state:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A TCP proxy on 127.0.0.1 in front of a server (PostgreSQL), whose line the test can cut and
/// mend: cut, it drops every open connection and every new one (the server unreachable).
pub struct Proxy {
    pub port: u16,
    open: std::sync::Arc<std::sync::atomic::AtomicBool>,
    connections: std::sync::Arc<std::sync::Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    pub fn start(target: (String, u16)) -> Proxy {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{Arc, Mutex};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = Arc::new(AtomicBool::new(true));
        let connections: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (accepting, held) = (open.clone(), connections.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if !accepting.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect((target.0.as_str(), target.1)) else {
                    continue;
                };
                let mut held = held.lock().unwrap();
                for stream in [&client, &server] {
                    if let Ok(clone) = stream.try_clone() {
                        held.push(clone);
                    }
                }
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        Proxy {
            port,
            open,
            connections,
        }
    }

    /// The line is cut: open connections drop, new ones are closed at once.
    pub fn cut(&self) {
        self.open.store(false, std::sync::atomic::Ordering::SeqCst);
        for stream in self.connections.lock().unwrap().drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }

    /// The line is back.
    pub fn mend(&self) {
        self.open.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// `ocop serve` on `url` with a signing key made first, its files and secret in `dir`, and
/// `extra` arguments; waits until it is ready.
pub fn keyed_server(url: &str, dir: &TempDir, extra: &[&str]) -> Server {
    let secret = dir.file("ocop.secret");
    let keys = ocop(&["keys", "generate", "--db", url, "--secret-file", &secret]);
    assert!(keys.status.success(), "{}", stderr(&keys));
    let files = dir.file("files");
    let mut args = vec!["--db", url, "--files", &files, "--secret-file", &secret];
    args.extend_from_slice(extra);
    Server::start(&args, dir.path().join("serve.log"), Duration::from_secs(60))
}
