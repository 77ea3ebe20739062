//! A small W3C WebDriver client for the browser tests: it starts Debian's
//! `chromedriver` (which starts headless `chromium`), speaks WebDriver's
//! JSON over HTTP/1.1 on loopback with a plain `TcpStream`, and kills the
//! driver and every browser process it started when dropped.
//!
//! Each `Browser` has its own driver, its own browser and its own profile
//! directory, so tests run in parallel with each other and with the rest of
//! the suite. Nothing here waits for a fixed time to pass: the `wait_*`
//! helpers poll until a condition holds and fail (with a screenshot and the
//! page's text) only after a generous deadline.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

use crate::TempDir;

mod http;
mod procs;
mod server;

use http::{parse_response, read_response};
use procs::{kill_group, live_in_group};
pub use server::WebServer;

/// How long a `wait_*` helper keeps trying. Generous on purpose: a browser
/// on a loaded 2-core machine can be slow, and no test asserts on time.
pub const BROWSER_TIMEOUT: Duration = Duration::from_secs(90);

/// The longest one WebDriver command may take (a navigation included).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// The key W3C WebDriver uses for an element reference in JSON.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The browser and driver binaries: Debian's `chromium` and
/// `chromium-driver` packages, unless the environment names others.
pub fn chromium_path() -> PathBuf {
    std::env::var_os("GGZD_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

pub fn chromedriver_path() -> PathBuf {
    std::env::var_os("GGZD_CHROMEDRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromedriver"))
}

/// Fails the test, never skips it, when the browser is missing: a green run
/// must mean the browser tests ran.
fn require_binaries() -> (PathBuf, PathBuf) {
    let chromium = chromium_path();
    let driver = chromedriver_path();
    for path in [&chromium, &driver] {
        assert!(
            path.exists(),
            "{} is missing: the browser tests need headless Chromium. Install it with \
             `apt-get install chromium chromium-driver` (Debian/Ubuntu), or point \
             GGZD_CHROMIUM and GGZD_CHROMEDRIVER at a Chromium and its matching chromedriver.",
            path.display()
        );
    }
    (chromium, driver)
}

/// Where screenshots go: `target/test-output/browser/` (git-ignored; CI
/// keeps it as an artefact).
pub fn output_dir() -> PathBuf {
    let dir = crate::bin_dir()
        .parent()
        .map(|target| target.join("test-output").join("browser"))
        .unwrap_or_else(|| PathBuf::from("target/test-output/browser"));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// A WebDriver error: the HTTP status and the W3C error code and message.
#[derive(Debug, Clone)]
pub struct WdError {
    pub status: u16,
    pub error: String,
    pub message: String,
}

impl std::fmt::Display for WdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.error, self.message)
    }
}

impl WdError {
    fn io(e: impl std::fmt::Display) -> WdError {
        WdError {
            status: 0,
            error: "io".into(),
            message: e.to_string(),
        }
    }
}

pub type WdResult<T> = Result<T, WdError>;

/// A reference to an element of the current page (it may go stale when the
/// page re-renders; the CSS-based helpers of `Browser` look it up again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element(pub String);

/// One headless Chromium, driven through its own chromedriver.
pub struct Browser {
    /// A name for screenshots and failure messages.
    pub label: String,
    driver: Child,
    port: u16,
    session: String,
    profile: TempDir,
}

/// Starts chromedriver on a port of its choosing; the process and the port,
/// or why not (its exit status and the end of its log).
fn spawn_driver(driver_path: &Path, profile: &Path) -> Result<(Child, u16), String> {
    let log_path = profile.join("chromedriver.log");
    let mut command = Command::new(driver_path);
    // Port 0: chromedriver picks a free port and prints it, so two
    // parallel tests never race for one.
    command
        .arg("--port=0")
        .arg(format!("--log-path={}", log_path.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        // The crash handler chromium starts leaves the process group
        // (setsid) and keeps its database below the config home: with
        // the config home in our profile directory it names that
        // directory on its command line, and drop finds it.
        .env("XDG_CONFIG_HOME", profile.join("config"))
        .env("XDG_CACHE_HOME", profile.join("cache"))
        // Its own process group: chromium and its helpers inherit it,
        // so one kill on drop reaches them all.
        .process_group(0);
    // SAFETY: prctl is async-signal-safe. If the test process dies
    // without dropping us, the kernel ends the driver.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let mut driver = command
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", driver_path.display()))?;
    let Some(stdout) = driver.stdout.take() else {
        kill_group(&mut driver, profile);
        return Err("no stdout from chromedriver".into());
    };
    let (port_tx, port_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.split("started successfully on port ").nth(1) {
                let port: Option<u16> = rest.trim().trim_end_matches('.').parse().ok();
                let _ = port_tx.send(port);
                break;
            }
        }
        // Keep draining so the driver never blocks on a full pipe.
        for _ in lines {}
    });
    match port_rx.recv_timeout(BROWSER_TIMEOUT) {
        Ok(Some(port)) => Ok((driver, port)),
        answer => {
            // Killed and reaped first: its status is kept (a signal if it
            // was still running), and its group id was not yet free.
            kill_group(&mut driver, profile);
            let status = driver.try_wait();
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(20).collect();
            Err(format!(
                "{answer:?}, exit status {status:?}, log tail:\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            ))
        }
    }
}

impl Browser {
    /// Starts chromedriver and a fresh headless Chromium.
    pub fn start(label: &str) -> Browser {
        let (chromium, driver_path) = require_binaries();
        let profile = TempDir::new(&format!("chromium-{label}"));
        // A driver that dies before it reports its port (seen once among
        // parallel tests, with no trace left) is started again; what the
        // attempts said is shown if none comes up.
        let mut failures = Vec::new();
        let (driver, port) = loop {
            match spawn_driver(&driver_path, profile.path()) {
                Ok(started) => break started,
                Err(why) if failures.len() < 2 => failures.push(why),
                Err(why) => {
                    failures.push(why);
                    panic!(
                        "chromedriver did not report its port:\n{}",
                        failures.join("\n")
                    );
                }
            }
        };
        let mut browser = Browser {
            label: label.to_string(),
            driver,
            port,
            session: String::new(),
            profile,
        };
        let profile_dir = browser.profile.path().join("profile");
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "pageLoadStrategy": "normal",
                    "timeouts": {"implicit": 0, "pageLoad": 60000, "script": 30000},
                    "goog:loggingPrefs": {"browser": "ALL"},
                    "goog:chromeOptions": {
                        "binary": chromium.display().to_string(),
                        "args": [
                            "--headless",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-background-networking",
                            "--disable-component-update",
                            "--no-first-run",
                            "--disable-dev-shm-usage",
                            "--disable-crash-reporter",
                            "--disable-sync",
                            "--disable-extensions",
                            "--disable-default-apps",
                            "--disable-domain-reliability",
                            "--no-pings",
                            // Loopback only: Chromium never proxies
                            // loopback, every other host goes to a dead
                            // proxy and resolves to nothing, so the
                            // browser can reach no one but our ggzd.
                            "--proxy-server=http://127.0.0.1:9",
                            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                            format!("--user-data-dir={}", profile_dir.display()),
                            "--window-size=420,900",
                        ],
                    },
                }
            }
        });
        // A new session may fail while the machine is very busy (the
        // browser did not come up in time): try again a few times.
        let mut last = None;
        for _ in 0..3 {
            match browser.http("POST", "/session", Some(&capabilities)) {
                Ok(value) => {
                    if let Some(id) = value.get("sessionId").and_then(Value::as_str) {
                        browser.session = id.to_string();
                        return browser;
                    }
                    last = Some(format!("no sessionId in {value}"));
                }
                Err(e) => last = Some(e.to_string()),
            }
        }
        // The driver's log says why (a version mismatch, a crash at start);
        // a copy outlives the profile directory.
        let log = std::fs::read_to_string(browser.profile.path().join("chromedriver.log"))
            .unwrap_or_default();
        let kept = output_dir().join(format!("FAILED-{label}-chromedriver.log"));
        let _ = std::fs::write(&kept, &log);
        let tail: Vec<&str> = log
            .lines()
            .rev()
            .filter(|l| l.contains("[SEVERE]") || l.contains("[WARNING]") || l.contains("ERROR"))
            .take(30)
            .collect();
        panic!(
            "chromedriver could not start Chromium ({}): {}\n\
             chromedriver's log ({}), warnings and errors:\n{}",
            chromium.display(),
            last.unwrap_or_default(),
            kept.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }

    /// One WebDriver command on its own short TCP connection (closed by us
    /// once the response is complete), so no connection state is kept.
    fn http(&self, method: &str, path: &str, body: Option<&Value>) -> WdResult<Value> {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let mut stream = TcpStream::connect_timeout(&addr, COMMAND_TIMEOUT).map_err(WdError::io)?;
        stream
            .set_read_timeout(Some(COMMAND_TIMEOUT))
            .map_err(WdError::io)?;
        stream
            .set_write_timeout(Some(COMMAND_TIMEOUT))
            .map_err(WdError::io)?;
        let payload = body.map(Value::to_string).unwrap_or_default();
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n",
            self.port
        );
        if body.is_some() {
            request.push_str("Content-Type: application/json; charset=utf-8\r\n");
        }
        request.push_str(&format!("Content-Length: {}\r\n\r\n", payload.len()));
        request.push_str(&payload);
        stream.write_all(request.as_bytes()).map_err(WdError::io)?;
        let response = read_response(&mut stream).map_err(WdError::io)?;
        let (status, body) = parse_response(&response).map_err(WdError::io)?;
        let json: Value = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&body).map_err(WdError::io)?
        };
        let value = json.get("value").cloned().unwrap_or(Value::Null);
        if status == 200 {
            return Ok(value);
        }
        Err(WdError {
            status,
            error: value
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("unknown error")
                .to_string(),
            message: value
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        })
    }

    fn cmd(&self, method: &str, path: &str, body: Option<&Value>) -> WdResult<Value> {
        self.http(method, &format!("/session/{}{path}", self.session), body)
    }

    // ---- Raw WebDriver commands -----------------------------------------

    pub fn goto(&self, url: &str) {
        self.cmd("POST", "/url", Some(&json!({ "url": url })))
            .unwrap_or_else(|e| panic!("[{}] navigate to {url}: {e}", self.label));
    }

    pub fn refresh(&self) {
        self.cmd("POST", "/refresh", Some(&json!({})))
            .unwrap_or_else(|e| panic!("[{}] reload: {e}", self.label));
    }

    pub fn try_find_all(&self, css: &str) -> WdResult<Vec<Element>> {
        let value = self.cmd(
            "POST",
            "/elements",
            Some(&json!({"using": "css selector", "value": css})),
        )?;
        Ok(elements(&value))
    }

    /// The first element matching `css`, if any.
    pub fn try_find(&self, css: &str) -> WdResult<Option<Element>> {
        Ok(self.try_find_all(css)?.into_iter().next())
    }

    pub fn try_find_in(&self, parent: &Element, css: &str) -> WdResult<Vec<Element>> {
        let value = self.cmd(
            "POST",
            &format!("/element/{}/elements", parent.0),
            Some(&json!({"using": "css selector", "value": css})),
        )?;
        Ok(elements(&value))
    }

    pub fn try_click(&self, element: &Element) -> WdResult<()> {
        self.cmd(
            "POST",
            &format!("/element/{}/click", element.0),
            Some(&json!({})),
        )
        .map(|_| ())
    }

    pub fn try_clear(&self, element: &Element) -> WdResult<()> {
        self.cmd(
            "POST",
            &format!("/element/{}/clear", element.0),
            Some(&json!({})),
        )
        .map(|_| ())
    }

    /// Types `text` into the element (WebDriver key codes such as
    /// `keys::ENTER` included).
    pub fn try_send_keys(&self, element: &Element, text: &str) -> WdResult<()> {
        self.cmd(
            "POST",
            &format!("/element/{}/value", element.0),
            Some(&json!({ "text": text })),
        )
        .map(|_| ())
    }

    /// The rendered text of the element.
    pub fn try_text(&self, element: &Element) -> WdResult<String> {
        let value = self.cmd("GET", &format!("/element/{}/text", element.0), None)?;
        Ok(value.as_str().unwrap_or_default().to_string())
    }

    pub fn try_attribute(&self, element: &Element, name: &str) -> WdResult<Option<String>> {
        let value = self.cmd(
            "GET",
            &format!("/element/{}/attribute/{name}", element.0),
            None,
        )?;
        Ok(value.as_str().map(str::to_string))
    }

    /// Runs `script` (a function body; `arguments[i]` are `args`) in the
    /// page and returns what it returns.
    pub fn try_exec(&self, script: &str, args: &[Value]) -> WdResult<Value> {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(&json!({ "script": script, "args": args })),
        )
    }

    pub fn exec(&self, script: &str, args: &[Value]) -> Value {
        self.try_exec(script, args)
            .unwrap_or_else(|e| panic!("[{}] script failed: {e}\n{script}", self.label))
    }

    /// A PNG of the viewport, written to `path`.
    pub fn try_screenshot(&self, path: &Path) -> WdResult<()> {
        let value = self.cmd("GET", "/screenshot", None)?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(value.as_str().unwrap_or_default())
            .map_err(WdError::io)?;
        std::fs::write(path, png).map_err(WdError::io)
    }

    /// A screenshot named `name` in the test output directory; returns its
    /// path.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let path = output_dir().join(format!("{name}.png"));
        self.try_screenshot(&path)
            .unwrap_or_else(|e| panic!("[{}] screenshot {name}: {e}", self.label));
        path
    }

    /// Scrolls the element matching `css` to the top of the viewport, then
    /// takes `screenshot(name)`.
    pub fn screenshot_at(&self, css: &str, name: &str) -> PathBuf {
        let _ = self.try_exec(
            "const e = document.querySelector(arguments[0]); if (e) e.scrollIntoView(true);",
            &[json!(css)],
        );
        self.screenshot(name)
    }

    /// What the page's console said (errors from the web client included).
    pub fn console_log(&self) -> String {
        let Ok(value) = self.cmd("POST", "/se/log", Some(&json!({"type": "browser"}))) else {
            return String::new();
        };
        value
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter_map(|e| e.get("message").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    }

    // ---- Helpers by CSS selector, retried until the deadline -------------

    /// Polls `probe` until it returns `Some`, and fails with a screenshot,
    /// the page's text and the console after `BROWSER_TIMEOUT`. Errors from
    /// the probe (a stale element, an element not yet interactable) count
    /// as "not yet".
    pub fn wait_for<T>(
        &self,
        what: &str,
        mut probe: impl FnMut(&Browser) -> WdResult<Option<T>>,
    ) -> T {
        let deadline = Instant::now() + BROWSER_TIMEOUT;
        let mut last_error = None;
        loop {
            match probe(self) {
                Ok(Some(value)) => return value,
                Ok(None) => {}
                Err(e) => last_error = Some(e),
            }
            if Instant::now() >= deadline {
                self.fail(what, last_error);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Ends the test with everything that helps to see why.
    pub fn fail(&self, what: &str, error: Option<WdError>) -> ! {
        let name = format!(
            "FAILED-{}-{}",
            self.label,
            what.chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .take(60)
                .collect::<String>()
        );
        let shot = output_dir().join(format!("{name}.png"));
        let shot_note = match self.try_screenshot(&shot) {
            Ok(()) => format!("screenshot: {}", shot.display()),
            Err(e) => format!("no screenshot: {e}"),
        };
        let text = self
            .try_exec("return document.body ? document.body.innerText : ''", &[])
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let view = self
            .try_exec(
                "return document.body ? document.body.dataset.view : null",
                &[],
            )
            .map(|v| v.to_string())
            .unwrap_or_default();
        panic!(
            "[{}] gave up waiting for {what}\nlast error: {}\n{shot_note}\nview: {view}\n\
             page text:\n{}\nconsole:\n{}",
            self.label,
            error
                .map(|e| e.to_string())
                .unwrap_or_else(|| "none".into()),
            text.chars().take(4000).collect::<String>(),
            self.console_log()
        );
    }

    /// Waits until an element matches `css` and returns it.
    pub fn wait_element(&self, css: &str) -> Element {
        self.wait_for(&format!("element {css}"), |b| b.try_find(css))
    }

    /// Clicks the first element matching `css`, retrying while it is
    /// missing, stale, covered or not yet interactable.
    pub fn click(&self, css: &str) {
        self.wait_for(&format!("a click on {css}"), |b| {
            let Some(element) = b.try_find(css)? else {
                return Ok(None);
            };
            b.try_click(&element).map(Some)
        });
    }

    /// Clears the field matching `css` and types `text` into it.
    pub fn fill(&self, css: &str, text: &str) {
        self.wait_for(&format!("typing into {css}"), |b| {
            let Some(element) = b.try_find(css)? else {
                return Ok(None);
            };
            b.try_clear(&element)?;
            b.try_send_keys(&element, text).map(Some)
        });
    }

    /// Types `text` into the element matching `css` without clearing it.
    pub fn type_keys(&self, css: &str, text: &str) {
        self.wait_for(&format!("typing into {css}"), |b| {
            let Some(element) = b.try_find(css)? else {
                return Ok(None);
            };
            b.try_send_keys(&element, text).map(Some)
        });
    }

    /// Picks the option with value `value` of the select matching `css`
    /// (by clicking it, as a user would; waits for the option to exist).
    pub fn select(&self, css: &str, value: &str) {
        let option = format!("{css} option[value={}]", css_string(value));
        self.click(&option);
        self.wait_for(&format!("{css} to hold {value:?}"), |b| {
            let v = b.try_exec(
                "const e = document.querySelector(arguments[0]); return e ? e.value : null;",
                &[json!(css)],
            )?;
            Ok((v.as_str() == Some(value)).then_some(()))
        });
    }

    /// The text content (trimmed) of the first element matching `css`, or
    /// `None` when there is none. One round trip, never stale.
    pub fn text_of(&self, css: &str) -> WdResult<Option<String>> {
        let v = self.try_exec(
            "const e = document.querySelector(arguments[0]); \
             return e ? e.textContent.trim() : null;",
            &[json!(css)],
        )?;
        Ok(v.as_str().map(str::to_string))
    }

    /// The text contents of all elements matching `css`.
    pub fn texts_of(&self, css: &str) -> WdResult<Vec<String>> {
        let v = self.try_exec(
            "return Array.from(document.querySelectorAll(arguments[0]))\
             .map(e => e.textContent.trim());",
            &[json!(css)],
        )?;
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .map(|s| s.as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Waits until the text of `css` satisfies `pred`; returns that text.
    pub fn wait_text(&self, css: &str, what: &str, pred: impl Fn(&str) -> bool) -> String {
        self.wait_for(&format!("{css} {what}"), |b| {
            Ok(b.text_of(css)?.filter(|t| pred(t)))
        })
    }

    /// Waits until `document.body.dataset.view` is `view`.
    pub fn wait_view(&self, view: &str) {
        self.wait_for(&format!("view {view}"), |b| {
            let v = b.try_exec(
                "return document.body ? document.body.dataset.view : null",
                &[],
            )?;
            Ok((v.as_str() == Some(view)).then_some(()))
        });
    }

    /// Waits until the script (a function body) returns a truthy value;
    /// returns that value.
    pub fn wait_script(&self, what: &str, script: &str, args: &[Value]) -> Value {
        self.wait_for(what, |b| {
            let v = b.try_exec(script, args)?;
            let truthy = match &v {
                Value::Null => false,
                Value::Bool(x) => *x,
                Value::String(s) => !s.is_empty(),
                Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
                Value::Array(_) | Value::Object(_) => true,
            };
            Ok(truthy.then_some(v))
        })
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ask politely first (the browser then removes its own helpers);
        // then make sure nothing is left, whatever state it is in.
        if !self.session.is_empty()
            && self
                .http("DELETE", &format!("/session/{}", self.session), None)
                .is_ok()
        {
            // Chromium reaps its own helpers as it quits, and the driver
            // reaps chromium; killed first they would linger as zombies.
            let pgid = self.driver.id() as i32;
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline && live_in_group(pgid).iter().any(|&p| p != pgid) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        kill_group(&mut self.driver, self.profile.path());
    }
}

fn elements(value: &Value) -> Vec<Element> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e.get(ELEMENT_KEY).and_then(Value::as_str))
                .map(|id| Element(id.to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// A CSS string literal for `s`.
pub fn css_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\a "),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// WebDriver key codes for `send_keys`.
pub mod keys {
    pub const ENTER: &str = "\u{E007}";
    pub const TAB: &str = "\u{E004}";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn css_strings_are_quoted() {
        assert_eq!(css_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}
