//! A poor link between a replica and its hub, for tests and benches: a TCP
//! proxy on 127.0.0.1 that carries each direction at its own bandwidth, holds
//! every chunk for half a round trip (with jitter), and cuts connections —
//! after a set number of bytes, or at random with a seed — by shutting both
//! sockets, so a request or an answer really stops halfway. No kernel module,
//! no privileges: it is an ordinary process-local proxy.
//!
//! Benches include this file too (`#[path]`), so it depends on nothing but
//! the standard library and `rand`.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

/// What a link carries and how it fails.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Profile {
    pub name: &'static str,
    /// Bytes per second from the hub to the replica.
    pub down: u64,
    /// Bytes per second from the replica to the hub.
    pub up: u64,
    /// Round trip, in milliseconds (each direction holds a chunk half of it).
    pub rtt_ms: u64,
    /// Each chunk's one-way delay varies by up to this much either way.
    pub jitter_ms: u64,
    /// A connection is cut, on average, after this many bytes (both ways
    /// counted); `None`: never at random.
    pub cut_every: Option<u64>,
}

/// A weak mobile signal: about 5 KB/s down, 2 KB/s up, 600 ms, a cut every
/// 300 KB.
pub const TWO_G: Profile = Profile {
    name: "2g",
    down: 5_000,
    up: 2_000,
    rtt_ms: 600,
    jitter_ms: 150,
    cut_every: Some(300_000),
};

/// 3G at the edge of a cell: 40 KB/s down, 12 KB/s up, 300 ms, a cut every
/// 2 MB.
pub const THREE_G_POOR: Profile = Profile {
    name: "3g-poor",
    down: 40_000,
    up: 12_000,
    rtt_ms: 300,
    jitter_ms: 100,
    cut_every: Some(2_000_000),
};

/// A shared satellite link: fair bandwidth, 700 ms, lossy (a cut every
/// 500 KB).
pub const SATELLITE: Profile = Profile {
    name: "satellite",
    down: 60_000,
    up: 20_000,
    rtt_ms: 700,
    jitter_ms: 60,
    cut_every: Some(500_000),
};

pub const PROFILES: [Profile; 3] = [TWO_G, THREE_G_POOR, SATELLITE];

/// By name, as a bench or a test takes it from the environment.
pub fn profile(name: &str) -> Option<Profile> {
    PROFILES.iter().copied().find(|p| p.name == name)
}

/// What went over the link so far.
#[derive(Debug, Default)]
pub struct Counters {
    /// Bytes delivered replica → hub and hub → replica.
    pub up: AtomicU64,
    pub down: AtomicU64,
    /// Connections cut by the link (not closed by either end).
    pub cuts: AtomicU64,
    pub connections: AtomicU64,
}

/// The proxy. Dropping it stops accepting; connections open then run out.
pub struct Link {
    /// `http://127.0.0.1:PORT`: give it to the replica instead of the hub's.
    pub url: String,
    pub counters: Arc<Counters>,
    /// Bytes the link carries (all connections, both ways) before its next
    /// cut; `u64::MAX`: none planned.
    left: Arc<Mutex<u64>>,
    stop: Arc<AtomicBool>,
}

impl Link {
    /// A link to `target` (`http://host:port` or `host:port`); random cuts
    /// drawn from `seed`.
    pub fn start(target: &str, profile: Profile, seed: u64) -> Link {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the link");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let target = target
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let counters = Arc::new(Counters::default());
        // Cuts and jitter draw from streams of their own, so the cuts follow
        // the seed however the reads split the bytes.
        let rng = Arc::new(Mutex::new(rand_chacha::ChaCha8Rng::seed_from_u64(seed)));
        let jitter = Arc::new(Mutex::new(rand_chacha::ChaCha8Rng::seed_from_u64(
            seed ^ 0x6a17_7e12,
        )));
        let left = Arc::new(Mutex::new(draw(profile, &rng)));
        let stop = Arc::new(AtomicBool::new(false));
        {
            let (counters, left, stop) = (counters.clone(), left.clone(), stop.clone());
            listener.set_nonblocking(true).expect("nonblocking");
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((client, _)) => {
                            let _ = client.set_nonblocking(false);
                            // Small chunks go at once, as the pacing says.
                            let _ = client.set_nodelay(true);
                            counters.connections.fetch_add(1, Ordering::SeqCst);
                            let Ok(hub) = TcpStream::connect(&target) else {
                                continue;
                            };
                            let _ = hub.set_nodelay(true);
                            let shared = Shared {
                                profile,
                                left: left.clone(),
                                cut: Arc::new(AtomicBool::new(false)),
                                ends: Arc::new([clone(&client), clone(&hub)]),
                                counters: counters.clone(),
                                rng: rng.clone(),
                                jitter: jitter.clone(),
                            };
                            carry(client, hub, shared);
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            });
        }
        Link {
            url,
            counters,
            left,
            stop,
        }
    }

    /// Cuts the connection that carries the link's `bytes`-th byte from
    /// now (all connections, both ways), whatever the profile planned; the
    /// profile's cuts go on after it.
    pub fn cut_after(&self, bytes: u64) {
        if let Ok(mut left) = self.left.lock() {
            *left = bytes.max(1);
        }
    }

    pub fn bytes(&self) -> (u64, u64) {
        (
            self.counters.up.load(Ordering::SeqCst),
            self.counters.down.load(Ordering::SeqCst),
        )
    }

    pub fn cuts(&self) -> u64 {
        self.counters.cuts.load(Ordering::SeqCst)
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn clone(s: &TcpStream) -> TcpStream {
    s.try_clone().expect("clone a socket")
}

/// Bytes until the profile's next cut: exponential with the profile's mean,
/// so cuts come at random; `u64::MAX` when the profile never cuts.
fn draw(profile: Profile, rng: &Mutex<rand_chacha::ChaCha8Rng>) -> u64 {
    let Some(mean) = profile.cut_every else {
        return u64::MAX;
    };
    let u: f64 = rng.lock().map(|mut r| r.random::<f64>()).unwrap_or(0.5);
    (-(1.0 - u).ln() * mean as f64).max(1.0) as u64
}

/// One connection, both ways.
fn carry(client: TcpStream, hub: TcpStream, shared: Shared) {
    let down = shared.again();
    let up_from = clone(&client);
    let up_to = clone(&hub);
    std::thread::spawn(move || pump(up_from, up_to, true, shared));
    std::thread::spawn(move || pump(hub, client, false, down));
}

struct Shared {
    profile: Profile,
    left: Arc<Mutex<u64>>,
    cut: Arc<AtomicBool>,
    ends: Arc<[TcpStream; 2]>,
    counters: Arc<Counters>,
    rng: Arc<Mutex<rand_chacha::ChaCha8Rng>>,
    jitter: Arc<Mutex<rand_chacha::ChaCha8Rng>>,
}

impl Shared {
    /// The same connection's, for its other direction.
    fn again(&self) -> Shared {
        Shared {
            profile: self.profile,
            left: self.left.clone(),
            cut: self.cut.clone(),
            ends: self.ends.clone(),
            counters: self.counters.clone(),
            rng: self.rng.clone(),
            jitter: self.jitter.clone(),
        }
    }

    /// Takes `n` bytes from the link's budget: how many of them go before a
    /// cut, and whether this connection is the one cut. The next cut is
    /// planned in the same step, so one budget cuts one connection.
    fn spend(&self, n: usize) -> (usize, bool) {
        let Ok(mut left) = self.left.lock() else {
            return (n, false);
        };
        if *left > n as u64 {
            *left -= n as u64;
            return (n, false);
        }
        let before = *left as usize;
        *left = draw(self.profile, &self.rng);
        self.counters.cuts.fetch_add(1, Ordering::SeqCst);
        (before, true)
    }

    /// Both sockets shut: whatever was under way stops where it was.
    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for end in self.ends.iter() {
            let _ = end.shutdown(Shutdown::Both);
        }
    }
}

/// Small chunks, so pacing is smooth and a cut lands inside a message.
const CHUNK: usize = 512;

/// Reads one direction, paces it at the profile's rate for that direction,
/// and hands each chunk to a writer that delivers it half a round trip
/// (± jitter) later, in order.
fn pump(mut from: TcpStream, mut to: TcpStream, up: bool, s: Shared) {
    let profile = s.profile;
    let rate = if up { profile.up } else { profile.down };
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    let writer = {
        let counters = s.counters.clone();
        let cut = s.cut.clone();
        std::thread::spawn(move || {
            for (at, bytes) in rx {
                if let Some(wait) = at.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                if cut.load(Ordering::SeqCst) || to.write_all(&bytes).is_err() {
                    break;
                }
                let n = bytes.len() as u64;
                if up {
                    counters.up.fetch_add(n, Ordering::SeqCst);
                } else {
                    counters.down.fetch_add(n, Ordering::SeqCst);
                }
            }
            // The other end closed its side: so does this one.
            let _ = to.shutdown(Shutdown::Write);
        })
    };
    let per_byte = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
    let mut free_at = Instant::now();
    let mut buf = [0u8; CHUNK];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        // The budget runs out inside this chunk: deliver up to there, cut.
        let (n, cut_now) = s.spend(n);
        // Serialisation at the link's rate, then the flight.
        let start = free_at.max(Instant::now());
        free_at = start + per_byte * n as u32;
        let jitter = if profile.jitter_ms > 0 {
            s.jitter
                .lock()
                .map(|mut r| r.random_range(0..=2 * profile.jitter_ms))
                .unwrap_or(profile.jitter_ms)
        } else {
            0
        };
        let flight =
            Duration::from_millis((profile.rtt_ms / 2 + jitter).saturating_sub(profile.jitter_ms));
        // The reader keeps pace with the link (a fast sender is held back,
        // as TCP's window would).
        if let Some(wait) = free_at.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        if n > 0 && tx.send((free_at + flight, buf[..n].to_vec())).is_err() {
            break;
        }
        if cut_now {
            // What was sent before the cut arrives; then the cut.
            drop(tx);
            let _ = writer.join();
            s.cut();
            return;
        }
    }
    drop(tx);
    let _ = writer.join();
}
