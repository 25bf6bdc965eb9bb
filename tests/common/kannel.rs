//! A Kannel look-alike on 127.0.0.1 for SMS tests.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("00");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query(target: &str) -> HashMap<String, String> {
    target
        .split_once('?')
        .map(|(_, q)| q)
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

pub fn http_get(url: &str) -> Option<u16> {
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest.split_at(rest.find('/')?);
    let mut s = TcpStream::connect(host).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).ok()?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A Kannel look-alike: records every sendsms, answers 503 to the first
/// `refuse` requests, and sends a "delivered" report for each accepted one
/// (retrying while the hub is down, as a patient gateway would).
pub struct FakeKannel {
    pub url: String,
    pub sent: Arc<Mutex<Vec<HashMap<String, String>>>>,
}

impl FakeKannel {
    pub fn start(refuse: usize) -> FakeKannel {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!(
            "http://{}/cgi-bin/sendsms",
            listener.local_addr().expect("addr")
        );
        let sent = Arc::new(Mutex::new(Vec::new()));
        let log = sent.clone();
        let refused = Arc::new(Mutex::new(0usize));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut first = String::new();
                if reader.read_line(&mut first).is_err() {
                    continue;
                }
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                        break;
                    }
                }
                let target = first.split_whitespace().nth(1).unwrap_or("").to_owned();
                let params = query(&target);
                let mut stream = stream;
                let mut n = refused.lock().expect("lock");
                if *n < refuse {
                    *n += 1;
                    let _ = stream.write_all(
                        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy",
                    );
                    continue;
                }
                drop(n);
                log.lock().expect("lock").push(params.clone());
                let _ = stream.write_all(
                    b"HTTP/1.1 202 Accepted\r\nContent-Length: 26\r\nConnection: close\r\n\r\n0: Accepted for delivery\r\n",
                );
                drop(stream);
                if let Some(dlr) = params.get("dlr-url") {
                    let report = dlr.replace("%d", "1");
                    std::thread::spawn(move || {
                        let until = Instant::now() + Duration::from_secs(60);
                        while Instant::now() < until {
                            if http_get(&report) == Some(200) {
                                return;
                            }
                            std::thread::sleep(Duration::from_millis(200));
                        }
                    });
                }
            }
        });
        FakeKannel { url, sent }
    }

    pub fn recipients(&self) -> Vec<String> {
        self.sent
            .lock()
            .expect("lock")
            .iter()
            .filter_map(|p| p.get("to").cloned())
            .collect()
    }
}
