//! What an upload's file holds, read from the file cache so a moderator
//! over SSH can judge it without downloading it elsewhere: the text of a
//! PDF's first pages (or that it is a scan), a CSV's first rows, an image's
//! size, an audio or video file's length and format — read from headers,
//! never decoded or played. Every reading is capped in bytes and time; what
//! it returns is the file's own text, which callers pass through `text`
//! before any terminal sees it.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::i18n::Lang;

/// The largest PDF read (bigger ones are said to be too big).
pub const PDF_MAX_BYTES: u64 = 30 * 1024 * 1024;
/// Pages of a PDF whose text is shown.
pub const PDF_PAGES: u32 = 3;
/// Content a page may inflate to (a compressed bomb stops there).
pub const PDF_PAGE_INFLATE: usize = 4 * 1024 * 1024;
/// Characters of a PDF's text kept.
pub const TEXT_KEPT: usize = 3_000;
/// Rows of a CSV shown (after its header).
pub const CSV_ROWS: usize = 10;
/// Bytes of a CSV read for those rows.
pub const CSV_HEAD: u64 = 64 * 1024;
/// How long a preview may take before it is given up.
pub const TIME_CAP: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, PartialEq)]
pub enum Preview {
    /// A PDF with a text layer: its first pages' text.
    Text {
        pages: u32,
        shown: u32,
        text: String,
    },
    /// A PDF with no text: scanned pages (images).
    Scanned { pages: u32 },
    /// A CSV's header and first rows, and how many rows it has.
    Table {
        rows: Vec<Vec<String>>,
        total: u64,
        delimiter: char,
    },
    Image {
        format: String,
        width: u64,
        height: u64,
    },
    /// Audio or video: its container or codec, length, and what else the
    /// headers say (bit rate, sample rate, picture size).
    Media {
        video: bool,
        format: &'static str,
        seconds: Option<f64>,
        facts: Vec<String>,
    },
    /// A kind of file this reader does not open.
    Unsupported { mime: String },
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PreviewError {
    #[error("{size} bytes, over the {cap} bytes a preview reads")]
    TooLarge { size: u64, cap: u64 },
    #[error("gave up after {0:?}")]
    TooSlow(Duration),
    #[error("protected by a password")]
    Encrypted,
    #[error("unreadable: {0}")]
    Unreadable(String),
    #[error("the cached file is not the upload's (its size or SHA-256 differs): fetch it again")]
    Corrupt,
    #[error("{0}")]
    Io(String),
}

impl PreviewError {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (Self::TooLarge { size, cap }, Lang::Fr) => format!(
                "{} Mo, au-delà des {} Mo qu'un aperçu lit : à ouvrir dans le fichier",
                size / (1024 * 1024),
                cap / (1024 * 1024)
            ),
            (Self::TooSlow(d), Lang::Fr) => {
                format!(
                    "abandonné au bout de {} s : à ouvrir dans le fichier",
                    d.as_secs()
                )
            }
            (Self::Encrypted, Lang::Fr) => "protégé par un mot de passe".into(),
            (Self::Unreadable(why), Lang::Fr) => format!("illisible : {why}"),
            (Self::Corrupt, Lang::Fr) => "le fichier en cache n'est pas celui de la publication (taille ou empreinte SHA-256 différente) : récupérez-le à nouveau".into(),
            (Self::Io(why), Lang::Fr) => why.clone(),
        }
    }
}

fn io(e: std::io::Error) -> PreviewError {
    PreviewError::Io(e.to_string())
}

fn bad(why: impl Into<String>) -> PreviewError {
    PreviewError::Unreadable(why.into())
}

/// The preview of a file, on a thread of its own given up after `cap`
/// (a pathological file cannot hold its caller).
pub fn preview_within(
    path: &Path,
    mime: &str,
    filename: &str,
    cap: Duration,
) -> Result<Preview, PreviewError> {
    preview_checked(path, mime, filename, None, cap)
}

/// The preview of a cached upload's file, checked first against the
/// upload's SHA-256 and size (`expected`), within `cap`.
pub fn preview_checked(
    path: &Path,
    mime: &str,
    filename: &str,
    expected: Option<(&str, i64)>,
    cap: Duration,
) -> Result<Preview, PreviewError> {
    let (tx, rx) = std::sync::mpsc::channel();
    let (path, mime, filename) = (path.to_owned(), mime.to_owned(), filename.to_owned());
    let expected = expected.map(|(s, n)| (s.to_owned(), n));
    std::thread::Builder::new()
        .name("preview".into())
        .spawn(move || {
            let deadline = Instant::now() + cap;
            let result = match &expected {
                Some((sha, size)) => check_cached(&path, sha, *size),
                None => Ok(()),
            }
            .and_then(|()| preview(&path, &mime, &filename, deadline));
            let _ = tx.send(result);
        })
        .map_err(io)?;
    rx.recv_timeout(cap + Duration::from_millis(200))
        .unwrap_or(Err(PreviewError::TooSlow(cap)))
}

/// Files up to this size are hashed before a preview (larger ones, videos
/// mostly, are checked by size only: hashing them would take longer than
/// the preview).
pub const VERIFY_MAX: u64 = 64 * 1024 * 1024;

/// Whether the cached file is still the upload's: its size, and its
/// SHA-256 when it is not too big. A file changed in the cache (by hand, a
/// disk fault) is never previewed as if it were the upload.
pub fn check_cached(path: &Path, sha256: &str, size: i64) -> Result<(), PreviewError> {
    use sha2::{Digest, Sha256};
    let len = std::fs::metadata(path).map_err(io)?.len();
    if u64::try_from(size).is_ok_and(|s| s != len) {
        return Err(PreviewError::Corrupt);
    }
    if len > VERIFY_MAX {
        return Ok(());
    }
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut block = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut block).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&block[..n]);
    }
    if crate::hex(&hasher.finalize()) != sha256.to_ascii_lowercase() {
        return Err(PreviewError::Corrupt);
    }
    Ok(())
}

/// What kind of file it is, from its MIME type and else its name.
fn kind_of(mime: &str, filename: &str) -> &'static str {
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match (mime, ext.as_str()) {
        ("application/pdf", _) | (_, "pdf") => "pdf",
        ("text/csv", _) | (_, "csv") => "csv",
        (m, _) if m.starts_with("image/") => "image",
        (_, "jpg" | "jpeg" | "png" | "gif" | "webp" | "bmp" | "tif" | "tiff") => "image",
        (m, _) if m.starts_with("audio/") || m.starts_with("video/") => "media",
        (_, "mp3" | "wav" | "ogg" | "opus" | "m4a" | "mp4" | "mov" | "3gp") => "media",
        _ => "other",
    }
}

/// The preview of a file, reading no further than `deadline` allows.
pub fn preview(
    path: &Path,
    mime: &str,
    filename: &str,
    deadline: Instant,
) -> Result<Preview, PreviewError> {
    match kind_of(mime, filename) {
        "pdf" => pdf(path, deadline),
        "csv" => csv(path),
        "image" => image(path),
        "media" => media(path),
        _ => Ok(Preview::Unsupported {
            mime: mime.to_owned(),
        }),
    }
}

fn pdf(path: &Path, deadline: Instant) -> Result<Preview, PreviewError> {
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > PDF_MAX_BYTES {
        return Err(PreviewError::TooLarge {
            size,
            cap: PDF_MAX_BYTES,
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    let doc = lopdf::Document::load_mem(&bytes).map_err(|e| match e {
        lopdf::Error::Decryption(_) | lopdf::Error::UnsupportedSecurityHandler(_) => {
            PreviewError::Encrypted
        }
        other => bad(other.to_string()),
    })?;
    if doc.is_encrypted() {
        return Err(PreviewError::Encrypted);
    }
    let pages = u32::try_from(doc.get_pages().len()).unwrap_or(u32::MAX);
    let shown = pages.min(PDF_PAGES);
    let mut text = String::new();
    for page in 1..=shown {
        if Instant::now() > deadline {
            return Err(PreviewError::TooSlow(TIME_CAP));
        }
        // A page whose text cannot be read is skipped, not the file.
        if let Ok(t) = doc.extract_text_with_limit(&[page], PDF_PAGE_INFLATE) {
            text.push_str(&t);
            text.push('\n');
        }
        if text.chars().count() > TEXT_KEPT {
            break;
        }
    }
    let words = text.split_whitespace().count();
    if words < 3 {
        return Ok(Preview::Scanned { pages });
    }
    Ok(Preview::Text {
        pages,
        shown,
        text: crate::text::truncate(text.trim(), TEXT_KEPT),
    })
}

fn csv(path: &Path) -> Result<Preview, PreviewError> {
    let mut head = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(CSV_HEAD)
        .read_to_end(&mut head)
        .map_err(io)?;
    let head = String::from_utf8_lossy(&head);
    let head = head.trim_start_matches('\u{feff}');
    let first = head.lines().next().unwrap_or("");
    let delimiter = [';', ',', '\t']
        .into_iter()
        .max_by_key(|d| first.matches(*d).count())
        .unwrap_or(',');
    // Only whole lines of the head are read.
    let whole = head.rfind('\n').map_or(head, |i| &head[..=i]);
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter as u8)
        .has_headers(false)
        .flexible(true)
        .from_reader(whole.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records().take(CSV_ROWS + 1) {
        let record = record.map_err(|e| bad(e.to_string()))?;
        rows.push(
            record
                .iter()
                .map(|c| crate::text::truncate(c.trim(), 40))
                .collect(),
        );
    }
    // Rows counted over the whole file, in blocks.
    let mut total = 0u64;
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut block = vec![0u8; 64 * 1024];
    let mut last = b'\n';
    loop {
        let n = file.read(&mut block).map_err(io)?;
        if n == 0 {
            break;
        }
        total += block[..n].iter().filter(|b| **b == b'\n').count() as u64;
        last = block[n - 1];
    }
    if last != b'\n' {
        total += 1;
    }
    Ok(Preview::Table {
        rows,
        total: total.saturating_sub(1),
        delimiter,
    })
}

fn image(path: &Path) -> Result<Preview, PreviewError> {
    let mut head = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(256 * 1024)
        .read_to_end(&mut head)
        .map_err(io)?;
    let format = imagesize::image_type(&head)
        .map(|t| format!("{t:?}").to_uppercase())
        .map_err(|e| bad(e.to_string()))?;
    let size = imagesize::blob_size(&head).map_err(|e| bad(e.to_string()))?;
    Ok(Preview::Image {
        format,
        width: size.width as u64,
        height: size.height as u64,
    })
}

fn media(path: &Path) -> Result<Preview, PreviewError> {
    let mut file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let mut head = [0u8; 12];
    let n = file.read(&mut head).map_err(io)?;
    let head = &head[..n];
    if head.starts_with(b"RIFF") && head.get(8..12) == Some(b"WAVE") {
        return wav(&mut file);
    }
    if head.get(4..8) == Some(b"ftyp") {
        return mp4(&mut file, len);
    }
    if head.starts_with(b"OggS") {
        return ogg(&mut file, len);
    }
    if head.starts_with(b"ID3") || (head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0) {
        return mp3(&mut file, len);
    }
    Err(bad("not a WAV, MP3, Ogg or MP4 file"))
}

fn read_at(file: &mut std::fs::File, at: u64, buf: &mut [u8]) -> Result<usize, PreviewError> {
    file.seek(SeekFrom::Start(at)).map_err(io)?;
    let mut got = 0;
    while got < buf.len() {
        let n = file.read(&mut buf[got..]).map_err(io)?;
        if n == 0 {
            break;
        }
        got += n;
    }
    Ok(got)
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

fn wav(file: &mut std::fs::File) -> Result<Preview, PreviewError> {
    let mut at = 12u64;
    let (mut rate, mut byte_rate, mut channels) = (0u32, 0u32, 0u16);
    for _ in 0..64 {
        let mut chunk = [0u8; 8];
        if read_at(file, at, &mut chunk)? < 8 {
            break;
        }
        let size = u64::from(le32(&chunk[4..8]));
        match &chunk[..4] {
            b"fmt " => {
                let mut fmt = [0u8; 16];
                read_at(file, at + 8, &mut fmt)?;
                channels = u16::from_le_bytes([fmt[2], fmt[3]]);
                rate = le32(&fmt[4..8]);
                byte_rate = le32(&fmt[8..12]);
            }
            b"data" if byte_rate > 0 => {
                return Ok(Preview::Media {
                    video: false,
                    format: "WAV",
                    seconds: Some(size as f64 / f64::from(byte_rate)),
                    facts: vec![format!("{rate} Hz"), format!("{channels} ch")],
                });
            }
            _ => {}
        }
        at += 8 + size + (size & 1);
    }
    Err(bad("a WAV file without its format or data"))
}

fn mp3(file: &mut std::fs::File, len: u64) -> Result<Preview, PreviewError> {
    let mut start = 0u64;
    let mut id3 = [0u8; 10];
    read_at(file, 0, &mut id3)?;
    if id3.starts_with(b"ID3") {
        let size = id3[6..10]
            .iter()
            .fold(0u64, |acc, b| (acc << 7) | u64::from(b & 0x7F));
        start = 10 + size;
    }
    // The first frame header within the next few kilobytes.
    let mut buf = vec![0u8; 8 * 1024];
    let n = read_at(file, start, &mut buf)?;
    let at = (0..n.saturating_sub(4))
        .find(|&i| buf[i] == 0xFF && buf[i + 1] & 0xE0 == 0xE0 && (buf[i + 1] >> 1) & 3 == 1)
        .ok_or_else(|| bad("no MPEG audio frame"))?;
    let h = &buf[at..at + 4];
    let version = (h[1] >> 3) & 3; // 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
    let mpeg1 = version == 3;
    let bitrates_1 = [
        0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
    ];
    let bitrates_2 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
    let index = usize::from(h[2] >> 4);
    let kbps = *(if mpeg1 {
        &bitrates_1[..]
    } else {
        &bitrates_2[..]
    })
    .get(index)
    .ok_or_else(|| bad("bad bit rate"))?;
    let rates = [44_100u32, 48_000, 32_000];
    let rate = *rates
        .get(usize::from((h[2] >> 2) & 3))
        .ok_or_else(|| bad("bad sample rate"))?
        / match version {
            3 => 1,
            2 => 2,
            _ => 4,
        };
    let mono = h[3] >> 6 == 3;
    let per_frame = if mpeg1 { 1152.0 } else { 576.0 };
    // A Xing or Info header counts the frames of a variable-rate file.
    let side = match (mpeg1, mono) {
        (true, false) => 32,
        (true, true) => 17,
        (false, false) => 17,
        (false, true) => 9,
    };
    let xing = at + 4 + side;
    let frames = match buf.get(xing..xing + 12) {
        Some(x) if (&x[..4] == b"Xing" || &x[..4] == b"Info") && be32(&x[4..8]) & 1 == 1 => {
            Some(be32(&x[8..12]))
        }
        _ => None,
    };
    let seconds = match frames {
        Some(f) => Some(f64::from(f) * per_frame / f64::from(rate)),
        None if kbps > 0 => {
            Some((len - start - at as u64) as f64 * 8.0 / (f64::from(kbps) * 1000.0))
        }
        None => None,
    };
    let mut facts = Vec::new();
    if frames.is_none() && kbps > 0 {
        facts.push(format!("{kbps} kbit/s"));
    }
    facts.push(format!("{rate} Hz"));
    Ok(Preview::Media {
        video: false,
        format: "MP3",
        seconds,
        facts,
    })
}

fn ogg(file: &mut std::fs::File, len: u64) -> Result<Preview, PreviewError> {
    let mut head = [0u8; 128];
    let n = read_at(file, 0, &mut head)?;
    let head = &head[..n];
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
    let (format, rate) = if let Some(i) = find(head, b"\x01vorbis") {
        let r = head.get(i + 12..i + 16).map(le32).unwrap_or(0);
        ("Ogg Vorbis", r)
    } else if find(head, b"OpusHead").is_some() {
        ("Ogg Opus", 48_000)
    } else {
        ("Ogg", 0)
    };
    // The last page's granule position is the stream's length in samples.
    let tail_len = len.min(64 * 1024);
    let mut tail = vec![0u8; tail_len as usize];
    let n = read_at(file, len - tail_len, &mut tail)?;
    let tail = &tail[..n];
    let granule = tail
        .windows(4)
        .rposition(|w| w == b"OggS")
        .and_then(|i| tail.get(i + 6..i + 14))
        .map(|g| u64::from_le_bytes([g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7]]));
    let seconds = match (granule, rate) {
        (Some(g), r) if r > 0 && g != u64::MAX => Some(g as f64 / f64::from(r)),
        _ => None,
    };
    Ok(Preview::Media {
        video: false,
        format,
        seconds,
        facts: if rate > 0 {
            vec![format!("{rate} Hz")]
        } else {
            Vec::new()
        },
    })
}

/// MP4, MOV, M4A, 3GP: the movie header's duration, and the picture size
/// of the first track that has one. Boxes are walked by their sizes, so
/// the movie header is found wherever it is (often at the end).
fn mp4(file: &mut std::fs::File, len: u64) -> Result<Preview, PreviewError> {
    let mut seconds = None;
    let mut size: Option<(u32, u32)> = None;
    let mut brand = [0u8; 12];
    read_at(file, 0, &mut brand)?;
    let audio_only = &brand[8..12] == b"M4A " || &brand[8..12] == b"M4B ";
    let mut stack = vec![(0u64, len)];
    let mut steps = 0;
    while let Some((mut at, end)) = stack.pop() {
        while at + 8 <= end {
            steps += 1;
            if steps > 10_000 {
                return Err(bad("too many boxes"));
            }
            let mut b = [0u8; 16];
            read_at(file, at, &mut b)?;
            let (mut box_len, kind) = (u64::from(be32(&b[..4])), [b[4], b[5], b[6], b[7]]);
            let mut header = 8;
            if box_len == 1 {
                box_len =
                    u64::from_be_bytes([b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]]);
                header = 16;
            } else if box_len == 0 {
                box_len = end - at;
            }
            if box_len < header || at + box_len > end {
                break;
            }
            match &kind {
                b"moov" | b"trak" => stack.push((at + header, at + box_len)),
                b"mvhd" => {
                    let mut m = [0u8; 32];
                    read_at(file, at + header, &mut m)?;
                    let (scale, duration) = if m[0] == 1 {
                        (
                            be32(&m[20..24]),
                            u64::from_be_bytes([
                                m[24], m[25], m[26], m[27], m[28], m[29], m[30], m[31],
                            ]),
                        )
                    } else {
                        (be32(&m[12..16]), u64::from(be32(&m[16..20])))
                    };
                    if scale > 0 {
                        seconds = Some(duration as f64 / f64::from(scale));
                    }
                }
                b"tkhd" if size.is_none() && box_len >= header + 8 => {
                    // Width and height, 16.16 fixed point, end the box.
                    let mut wh = [0u8; 8];
                    read_at(file, at + box_len - 8, &mut wh)?;
                    let (w, h) = (be32(&wh[..4]) >> 16, be32(&wh[4..]) >> 16);
                    if w > 0 && h > 0 {
                        size = Some((w, h));
                    }
                }
                _ => {}
            }
            at += box_len;
        }
    }
    if seconds.is_none() {
        return Err(bad("no movie header"));
    }
    let video = size.is_some() && !audio_only;
    Ok(Preview::Media {
        video,
        format: if audio_only { "M4A" } else { "MP4" },
        seconds,
        facts: size
            .map(|(w, h)| vec![format!("{w} × {h}")])
            .unwrap_or_default(),
    })
}

/// What a console knows of each file's preview, by SHA-256: being read, or
/// read. Shared by the thread that reads and the screen that shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Shown {
    Reading,
    Ready(Result<Preview, PreviewError>),
}

fn shown() -> &'static std::sync::Mutex<std::collections::HashMap<String, Shown>> {
    static SHOWN: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<String, Shown>>> =
        std::sync::OnceLock::new();
    SHOWN.get_or_init(Default::default)
}

/// The preview of a file as far as it is known.
pub fn known(sha256: &str) -> Option<Shown> {
    shown().lock().ok()?.get(sha256).cloned()
}

/// Claims the reading of a file's preview: true for the first to ask (it
/// then reads and calls `done`), false when it is read or being read.
pub fn begin(sha256: &str) -> bool {
    let Ok(mut map) = shown().lock() else {
        return false;
    };
    if map.contains_key(sha256) {
        return false;
    }
    // A console browsing for days keeps the last few hundred.
    if map.len() >= 500 {
        map.retain(|_, s| *s == Shown::Reading);
    }
    map.insert(sha256.to_owned(), Shown::Reading);
    true
}

pub fn done(sha256: &str, result: Result<Preview, PreviewError>) {
    if let Ok(mut map) = shown().lock() {
        map.insert(sha256.to_owned(), Shown::Ready(result));
    }
}

/// A length as people say it: "3 min 12 s", "1 h 02 min", "45 s".
pub fn length_words(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, sec) => format!("{sec} s"),
        (0, m, sec) => format!("{m} min {sec:02} s"),
        (h, m, _) => format!("{h} h {m:02} min"),
    }
}

/// The preview in lines for a person (the file's own text left as it is:
/// callers make it terminal-safe).
pub fn lines(p: &Preview, lang: Lang) -> Vec<String> {
    let n = |v: u64| crate::i18n::values::count(v as f64, lang);
    match p {
        Preview::Text { pages, shown, text } => {
            let mut out = vec![match lang {
                Lang::Fr => format!(
                    "PDF, {} — texte {} :",
                    crate::i18n::counted(lang, i64::from(*pages), "page", "pages"),
                    if *shown > 1 {
                        format!("des {shown} premières")
                    } else {
                        "de la première".to_owned()
                    }
                ),
                Lang::En => format!(
                    "PDF, {} — text of the first {}:",
                    crate::i18n::counted(lang, i64::from(*pages), "page", "pages"),
                    crate::i18n::counted(lang, i64::from(*shown), "page", "pages")
                ),
            }];
            out.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned),
            );
            out
        }
        Preview::Scanned { pages } => vec![match lang {
            Lang::Fr => format!(
                "PDF, {}, sans texte : des pages scannées (images) — à lire dans le fichier",
                crate::i18n::counted(lang, i64::from(*pages), "page", "pages")
            ),
            Lang::En => format!(
                "PDF, {}, no text: scanned pages (images) — read it in the file",
                crate::i18n::counted(lang, i64::from(*pages), "page", "pages")
            ),
        }],
        Preview::Table {
            rows,
            total,
            delimiter,
        } => {
            let sep = match delimiter {
                '\t' => lang.pick("tabulation", "tab").to_owned(),
                c => format!("« {c} »"),
            };
            let mut out = vec![match lang {
                Lang::Fr => format!("CSV, {} lignes, séparateur {sep} :", n(*total)),
                Lang::En => format!("CSV, {} rows, separator {sep}:", n(*total)),
            }];
            // Columns aligned on their widest cell.
            let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
            let widths: Vec<usize> = (0..cols)
                .map(|c| {
                    rows.iter()
                        .filter_map(|r| r.get(c))
                        .map(|s| crate::text::width(&crate::text::inline(s)))
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            for r in rows {
                let cells: Vec<String> = r
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| crate::text::fit(&crate::text::inline(c), *w))
                    .collect();
                out.push(cells.join("  ").trim_end().to_owned());
            }
            out
        }
        Preview::Image {
            format,
            width,
            height,
        } => vec![match lang {
            Lang::Fr => format!("Image {format}, {} × {} pixels", n(*width), n(*height)),
            Lang::En => format!("{format} image, {} × {} pixels", n(*width), n(*height)),
        }],
        Preview::Media {
            video,
            format,
            seconds,
            facts,
        } => {
            let what = match (video, lang) {
                (true, Lang::Fr) => "Vidéo",
                (false, Lang::Fr) => "Audio",
                (true, Lang::En) => "Video",
                (false, Lang::En) => "Audio",
            };
            let mut parts = vec![format!("{what} {format}")];
            parts.push(match seconds {
                Some(s) => length_words(*s),
                None => lang.pick("durée inconnue", "length unknown").to_owned(),
            });
            parts.extend(facts.iter().cloned());
            vec![parts.join(", ")]
        }
        Preview::Unsupported { mime } => vec![match lang {
            Lang::Fr => format!("Pas d'aperçu pour ce type de fichier ({mime})"),
            Lang::En => format!("No preview for this kind of file ({mime})"),
        }],
    }
}
