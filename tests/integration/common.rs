//! Shared helpers: the binary run as a child process with a clean environment, its output read
//! line by line (never by sleeping), every child killed when its guard is dropped, and `serve`
//! started on a free loopback port.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// The project of the emulator's default world.
pub const PROJECT: &str = "0605767a3b8a4e4a9f1d2c3b4a5e6f70";

/// Environment variables that would leak the developer's own configuration into a test.
const INHERITED: &[&str] = &[
    "HW_ACCESS_KEY",
    "HW_SECRET_KEY",
    "HW_AUTH_TOKEN",
    "HW_PROJECT_ID",
    "HW_REGION_NAME",
    "SDRS_ENDPOINT",
    "RUST_LOG",
    // An endpoint on loopback goes through a proxy unless NO_PROXY says otherwise.
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// The crate root (specs/, cases/, profiles/, snapshots/).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `sdrs-conformance` binary with `args`, run from the crate root, with no credential,
/// endpoint or log setting inherited from the caller's environment.
pub fn command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sdrs-conformance"));
    c.args(args).current_dir(repo()).stdin(Stdio::null());
    for name in INHERITED {
        c.env_remove(name);
    }
    c
}

/// One line of a child's output, or the end of one of its streams.
#[derive(Debug)]
enum Event {
    Out(String),
    Err(String),
    Closed,
}

/// A running child process whose stdout and stderr are read line by line by two threads.
/// Dropping it kills and reaps the child.
pub struct Proc {
    name: String,
    child: Option<Child>,
    events: Receiver<Event>,
    open_streams: usize,
    started: Instant,
    /// Every stdout line seen so far.
    pub stdout: Vec<String>,
    /// Every stderr line seen so far.
    pub stderr: Vec<String>,
    /// Lines of stdout and stderr a wait has already looked at: a line that came while waiting on
    /// the other stream is still found by the next wait on its own.
    looked_at: (usize, usize),
}

/// How a child ended.
#[derive(Debug)]
pub struct Output {
    /// The exit status.
    pub status: ExitStatus,
    /// All of stdout.
    pub stdout: String,
    /// All of stderr.
    pub stderr: String,
    /// From spawn to exit.
    pub elapsed: Duration,
}

impl Output {
    /// The exit code (panics, with the output, when the child was killed by a signal).
    #[track_caller]
    pub fn code(&self) -> i32 {
        self.status.code().unwrap_or_else(|| panic!("killed by a signal: {self}"))
    }

    /// Asserts the exit code, showing the whole output when it differs.
    #[track_caller]
    pub fn expect_code(&self, code: i32) {
        assert_eq!(self.status.code(), Some(code), "unexpected exit status\n{self}");
    }

    /// stdout and stderr together.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit: {:?} after {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status.code(),
            self.elapsed,
            tail(&self.stdout, 60),
            tail(&self.stderr, 60)
        )
    }
}

/// The last `n` lines of a text, for failure messages.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let skip = lines.len().saturating_sub(n);
    let mut out = String::new();
    if skip > 0 {
        out.push_str(&format!("[... {skip} lines before ...]\n"));
    }
    out.push_str(&lines[skip..].join("\n"));
    out
}

fn pump(stream: impl Read + Send + 'static, wrap: fn(String) -> Event, tx: std::sync::mpsc::Sender<Event>) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buf).trim_end_matches(['\n', '\r']).to_owned();
                    if tx.send(wrap(line)).is_err() {
                        return;
                    }
                }
            }
        }
        let _ = tx.send(Event::Closed);
    });
}

impl Proc {
    /// Spawns `cmd` with piped stdout and stderr.
    pub fn spawn(name: &str, mut cmd: Command) -> Proc {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot spawn {name}: {e}"));
        let (tx, events) = channel();
        pump(child.stdout.take().expect("piped stdout"), Event::Out, tx.clone());
        pump(child.stderr.take().expect("piped stderr"), Event::Err, tx);
        Proc {
            name: name.to_owned(),
            child: Some(child),
            events,
            open_streams: 2,
            started: Instant::now(),
            stdout: Vec::new(),
            stderr: Vec::new(),
            looked_at: (0, 0),
        }
    }

    /// The child's process id.
    pub fn id(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or(0)
    }

    /// Waits for the next event until `deadline`; false when the deadline passed or both streams closed.
    fn next(&mut self, deadline: Instant) -> Option<Event> {
        if self.open_streams == 0 {
            return None;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match self.events.recv_timeout(left) {
            Ok(Event::Out(l)) => {
                self.stdout.push(l.clone());
                Some(Event::Out(l))
            }
            Ok(Event::Err(l)) => {
                self.stderr.push(l.clone());
                Some(Event::Err(l))
            }
            Ok(Event::Closed) => {
                self.open_streams -= 1;
                Some(Event::Closed)
            }
            Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => None,
        }
    }

    /// Reads stdout until a line satisfies `wanted` and returns it; panics (after killing the
    /// child) when the child closes its output or `within` passes first.
    #[track_caller]
    pub fn wait_for_line(&mut self, within: Duration, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        self.wait_for(false, within, what, wanted)
    }

    /// The same on stderr (where the logs go).
    #[track_caller]
    pub fn wait_for_stderr_line(&mut self, within: Duration, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        self.wait_for(true, within, what, wanted)
    }

    #[track_caller]
    fn wait_for(&mut self, stderr: bool, within: Duration, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + within;
        let (lines, from) = if stderr { (&self.stderr, self.looked_at.1) } else { (&self.stdout, self.looked_at.0) };
        let earlier = lines[from..].iter().position(|l| wanted(l)).map(|i| (from + i, lines[from + i].clone()));
        let seen = lines.len();
        let mark = |p: &mut Proc, upto: usize| if stderr { p.looked_at.1 = upto } else { p.looked_at.0 = upto };
        if let Some((i, line)) = earlier {
            mark(self, i + 1);
            return line;
        }
        mark(self, seen);
        loop {
            match self.next(deadline) {
                Some(Event::Out(line)) if !stderr && wanted(&line) => {
                    self.looked_at.0 = self.stdout.len();
                    return line;
                }
                Some(Event::Err(line)) if stderr && wanted(&line) => {
                    self.looked_at.1 = self.stderr.len();
                    return line;
                }
                Some(Event::Out(_)) if !stderr => self.looked_at.0 = self.stdout.len(),
                Some(Event::Err(_)) if stderr => self.looked_at.1 = self.stderr.len(),
                Some(_) => continue,
                None => {
                    let why = if self.open_streams == 0 { "it ended first" } else { "timed out" };
                    self.kill();
                    panic!("{}: waited {within:?} for {what}; {why}\n{}", self.name, self.transcript());
                }
            }
        }
    }

    /// Waits until the child has closed its output and exited, at most `within`; a child still
    /// running then is killed and the test fails with what it printed.
    #[track_caller]
    pub fn finish(mut self, within: Duration) -> Output {
        let deadline = Instant::now() + within;
        while self.open_streams > 0 {
            if self.next(deadline).is_none() && self.open_streams > 0 {
                self.kill();
                panic!("{} did not finish within {within:?} (killed)\n{}", self.name, self.transcript());
            }
        }
        // Both pipes are closed: the process has exited (it spawns no children of its own).
        let status = self.child.take().expect("child").wait().expect("wait for the child");
        Output {
            status,
            stdout: self.stdout.join("\n"),
            stderr: self.stderr.join("\n"),
            elapsed: self.started.elapsed(),
        }
    }

    /// Kills the child (SIGKILL) and reaps it, then collects what it had printed.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        // The pipes close with the process: drain what is left, boundedly.
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.open_streams > 0 && self.next(deadline).is_some() {}
    }

    /// Everything printed so far.
    pub fn transcript(&self) -> String {
        format!(
            "--- stdout ---\n{}\n--- stderr ---\n{}",
            tail(&self.stdout.join("\n"), 60),
            tail(&self.stderr.join("\n"), 60)
        )
    }

    /// Takes what has been printed so far without waiting (for processes that keep running).
    pub fn drain_now(&mut self) {
        while self.open_streams > 0 {
            match self.events.try_recv() {
                Ok(Event::Out(l)) => self.stdout.push(l),
                Ok(Event::Err(l)) => self.stderr.push(l),
                Ok(Event::Closed) => self.open_streams -= 1,
                Err(_) => break,
            }
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The FAIL and ERROR lines of a run.
pub fn failure_lines(out: &Output) -> Vec<&str> {
    out.stdout.lines().filter(|l| l.starts_with("FAIL ") || l.starts_with("ERROR ")).collect()
}

/// Runs the binary with `args` and extra environment, bounded by `within`.
#[track_caller]
pub fn run_cli(args: &[&str], env: &[(&str, &str)], within: Duration) -> Output {
    let mut cmd = command(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    Proc::spawn(&format!("sdrs-conformance {}", args.first().copied().unwrap_or("")), cmd).finish(within)
}

/// `serve` running on a free loopback port, killed on drop.
pub struct Serve {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The process.
    pub proc: Proc,
}

impl Serve {
    /// Starts `serve --port 0` with `extra` arguments and waits for its `listening on` line.
    #[track_caller]
    pub fn start(extra: &[&str]) -> Serve {
        Serve::start_with_env(extra, &[])
    }

    /// The same, with extra environment variables.
    #[track_caller]
    pub fn start_with_env(extra: &[&str], env: &[(&str, &str)]) -> Serve {
        let mut args = vec!["serve", "--port", "0"];
        args.extend_from_slice(extra);
        let mut cmd = command(&args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut proc = Proc::spawn("serve", cmd);
        let line = proc.wait_for_line(Duration::from_secs(60), "the `listening on` line", |l| {
            l.starts_with("listening on http://")
        });
        let url = line.trim_start_matches("listening on ").trim().to_owned();
        Serve { url, proc }
    }
}

/// `text` without ANSI colour sequences (the logs are coloured even when piped).
pub fn plain(text: &str) -> String {
    regex::Regex::new("\x1b\\[[0-9;]*m").expect("regex").replace_all(text, "").into_owned()
}

/// Every regular file under `dir`, recursively (none when it does not exist).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the copy");
    for entry in std::fs::read_dir(from).expect("read the directory").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
}

/// The totals of the summary line `N passed, N failed, N warned, N skipped, N expected-fail (X.Ys)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub passed: usize,
    pub failed: usize,
    pub warned: usize,
    pub skipped: usize,
}

/// Parses the last summary line of a run's stdout.
#[track_caller]
pub fn totals(out: &Output) -> Totals {
    let re = regex::Regex::new(r"^(\d+) passed, (\d+) failed, (\d+) warned, (\d+) skipped, \d+ expected-fail")
        .expect("regex");
    let caps =
        out.stdout.lines().rev().find_map(|l| re.captures(l)).unwrap_or_else(|| panic!("no summary line\n{out}"));
    let n = |i: usize| caps[i].parse::<usize>().expect("count");
    Totals { passed: n(1), failed: n(2), warned: n(3), skipped: n(4) }
}

/// A plain HTTP client for talking to `serve` directly, as a user would (synchronous: it owns a
/// single-threaded runtime).
pub struct Api {
    pub url: String,
    pub token: String,
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
}

impl Api {
    /// A client for `url` sending `X-Auth-Token: token`.
    pub fn new(url: &str, token: &str) -> Api {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(30)).build().expect("client");
        Api { url: url.to_owned(), token: token.to_owned(), runtime, http }
    }

    /// Sends a request; returns the status and the JSON body (Null when empty or not JSON).
    #[track_caller]
    pub fn call(&self, method: &str, path: &str, body: Option<serde_json::Value>) -> (u16, serde_json::Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let url = format!("{}{}", self.url, path);
        let mut req = self.http.request(method, &url).header("X-Auth-Token", &self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.runtime.block_on(async move {
            let resp = req.send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
            let status = resp.status().as_u16();
            let bytes = resp.bytes().await.unwrap_or_default();
            (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
        })
    }

    /// Polls a job until it ends, at most 30 s; returns its status. The emulator advances a job
    /// one step per poll (or by its clock with `--job-delay-ms`): polling is the protocol itself.
    #[track_caller]
    pub fn wait_job(&self, job_id: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut last = serde_json::Value::Null;
        while Instant::now() < deadline {
            let (status, body) = self.call("GET", &format!("/v1/{PROJECT}/jobs/{job_id}"), None);
            assert_eq!(status, 200, "job {job_id}: {body}");
            let s = body["status"].as_str().unwrap_or_default().to_owned();
            if s == "SUCCESS" || s == "FAIL" {
                return s;
            }
            last = body;
        }
        panic!("job {job_id} did not end within 30 s: {last}");
    }

    /// The names of the resources of a list operation (`server-groups`, `replications`...).
    #[track_caller]
    pub fn names(&self, collection: &str, key: &str) -> Vec<String> {
        let (status, body) = self.call("GET", &format!("/v1/{PROJECT}/{collection}?limit=1000"), None);
        assert_eq!(status, 200, "list {collection}: {body}");
        body[key]
            .as_array()
            .unwrap_or_else(|| panic!("list {collection}: no `{key}` array in {body}"))
            .iter()
            .map(|r| r["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}
