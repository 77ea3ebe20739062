//! The web client in a real headless Chromium against a real ggzd.

use ggzd_e2e::browser::Browser;
use serde_json::json;

#[test]
fn the_webdriver_client_drives_a_page() {
    let b = Browser::start("smoke");
    b.goto("data:text/html,<body data-view='login'><input id='t'><button id='b' onclick=\"this.textContent=document.getElementById('t').value\">x</button></body>");
    b.wait_view("login");
    b.fill("#t", "hello");
    b.click("#b");
    assert_eq!(b.wait_text("#b", "echoes", |t| t != "x"), "hello");
    assert_eq!(b.exec("return 1 + arguments[0]", &[json!(2)]), json!(3));
    let shot = b.screenshot("smoke");
    assert!(std::fs::metadata(shot).map(|m| m.len()).unwrap_or(0) > 100);
}
