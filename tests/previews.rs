//! Upload previews read from real files: a PDF's text (and a scan's lack of
//! it), a CSV's first rows, an image's size, audio and video lengths from
//! their headers; hostile or broken files said in one line, never a panic
//! or a hang.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use civitac::demo::files;
use civitac::i18n::Lang;
use civitac::replica::preview::{self, Preview, PreviewError};

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).expect("write");
    p
}

fn of(path: &std::path::Path, mime: &str) -> Result<Preview, PreviewError> {
    preview::preview_within(path, mime, &path.to_string_lossy(), Duration::from_secs(5))
}

#[test]
fn a_pdf_shows_the_text_of_its_first_pages_and_a_scan_says_so() {
    let dir = tempfile::tempdir().expect("dir");
    let pages: Vec<Vec<String>> = (1..=5)
        .map(|p| {
            vec![
                format!("Budget primitif 2026 — page {p}"),
                "Commune de Kaya (recettes)".into(),
            ]
        })
        .collect();
    let pdf = write(&dir, "budget.pdf", &files::pdf(&pages));
    let p = of(&pdf, "application/pdf").expect("preview");
    let said = preview::lines(&p, Lang::Fr);
    assert_eq!(said[0], "PDF, 5 pages — texte des 3 premières :");
    assert!(
        said.iter()
            .any(|l| l.contains("Budget primitif 2026") && l.contains("page 3")),
        "{said:?}"
    );
    assert!(
        !said.iter().any(|l| l.contains("page 4")),
        "only the first pages"
    );
    let scan = write(&dir, "pv.pdf", &files::pdf(&[vec![], vec![]]));
    assert_eq!(
        preview::lines(&of(&scan, "application/pdf").expect("preview"), Lang::En),
        ["PDF, 2 pages, no text: scanned pages (images) — read it in the file"]
    );
    // Not a PDF, a truncated one: one line, no panic.
    let junk = write(&dir, "junk.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog");
    assert!(matches!(
        of(&junk, "application/pdf"),
        Err(PreviewError::Unreadable(_))
    ));
    let bytes = files::pdf(&pages);
    let cut = write(&dir, "cut.pdf", &bytes[..bytes.len() / 2]);
    let _ = of(&cut, "application/pdf");
}

#[test]
fn a_csv_shows_its_first_rows_aligned_and_counts_them_all() {
    let dir = tempfile::tempdir().expect("dir");
    let mut csv = String::from("\u{feff}indicateur;annee;valeur\n");
    for y in 0..40 {
        csv.push_str(&format!("forages;{};{}\n", 1990 + y, y * 3));
    }
    let path = write(&dir, "stats.csv", csv.as_bytes());
    let said = preview::lines(&of(&path, "text/csv").expect("preview"), Lang::Fr);
    assert_eq!(said[0], "CSV, 40 lignes, séparateur « ; » :");
    assert_eq!(said[1], "indicateur  annee  valeur");
    assert_eq!(said[2], "forages     1990   0");
    assert_eq!(said.len(), 1 + 1 + preview::CSV_ROWS);
}

#[test]
fn images_audio_and_video_are_read_from_their_headers() {
    let dir = tempfile::tempdir().expect("dir");
    let cases: Vec<(&str, &str, Vec<u8>, &str)> = vec![
        (
            "photo.jpg",
            "image/jpeg",
            files::jpeg(4032, 3024),
            "Image JPEG, 4\u{202f}032 × 3\u{202f}024 pixels",
        ),
        (
            "emission.mp3",
            "audio/mpeg",
            files::mp3(192),
            "Audio MP3, 3 min 12 s, 44100 Hz",
        ),
        (
            "video.mp4",
            "video/mp4",
            files::mp4(65, 1280, 720),
            "Vidéo MP4, 1 min 05 s, 1280 × 720",
        ),
        (
            "son.wav",
            "audio/wav",
            files::wav(3),
            "Audio WAV, 3 s, 8000 Hz, 1 ch",
        ),
    ];
    for (name, mime, bytes, expected) in cases {
        let path = write(&dir, name, &bytes);
        let got = preview::lines(&of(&path, mime).expect(name), Lang::Fr);
        assert_eq!(got, [expected], "{name}");
    }
    // A CBR MP3 without an Info header: its length from its size.
    let mut cbr = files::mp3(1);
    cbr.drain(10..10 + 208);
    let path = write(&dir, "cbr.mp3", &cbr);
    match of(&path, "audio/mpeg").expect("cbr") {
        Preview::Media {
            seconds: Some(s), ..
        } => assert!(s < 1.0, "{s}"),
        other => panic!("{other:?}"),
    }
    // Hostile boxes: a size that loops or overflows is refused, not followed.
    let mut evil = b"\x00\x00\x00\x10ftypisom\x00\x00\x00\x00".to_vec();
    evil.extend(b"\xff\xff\xff\xffmoov");
    let path = write(&dir, "evil.mp4", &evil);
    assert!(of(&path, "video/mp4").is_err());
    let path = write(&dir, "zip.bin", b"PK\x03\x04");
    assert_eq!(
        preview::lines(
            &of(&path, "application/zip").expect("unsupported"),
            Lang::En
        ),
        ["No preview for this kind of file (application/zip)"]
    );
}

#[test]
fn a_preview_gives_up_at_its_time_cap() {
    let dir = tempfile::tempdir().expect("dir");
    let pages: Vec<Vec<String>> = (0..3).map(|_| vec!["x y z".into()]).collect();
    let path = write(&dir, "a.pdf", &files::pdf(&pages));
    // A deadline already past: the reading stops before its first page.
    let got = preview::preview(&path, "application/pdf", "a.pdf", Instant::now());
    assert!(matches!(got, Err(PreviewError::TooSlow(_))), "{got:?}");
}

/// The command line previews an upload whose file is in the cache, and says
/// in one line when it is not and no hub is set to fetch it.
#[test]
fn uploads_preview_reads_the_cached_file_or_says_how_to_get_it() {
    let (dir, db) = {
        let dir = tempfile::tempdir().expect("dir");
        let summary = civitac::demo::build(
            dir.path(),
            &civitac::demo::DemoOptions {
                scale: 0.2,
                seed: 7,
                as_of: "2026-11-01T00:00:00Z".parse().expect("date"),
            },
        )
        .expect("demo");
        let db = summary.replica.clone();
        (dir, db)
    };
    let cache = dir.path().join("cache");
    let store = civitac::store::Store::open(&db).expect("open");
    let (id, sha): (String, String) = store
        .conn()
        .query_row(
            "SELECT id, sha256 FROM uploads WHERE kind = 'document' ORDER BY submitted_at DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("an upload");
    let run = || {
        let mut cmd = assert_cmd::Command::cargo_bin("civitac").expect("binary");
        cmd.arg("--db")
            .arg(&db)
            .args(["--lang", "en", "uploads", "preview", &id])
            .env("XDG_CACHE_HOME", &cache)
            .env("XDG_DATA_HOME", dir.path())
            .env("HOME", dir.path());
        cmd
    };
    let out = run().output().expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("not in the cache"), "{err}");
    let files = cache.join("civitac").join("files");
    std::fs::create_dir_all(&files).expect("cache");
    std::fs::copy(dir.path().join("files").join(&sha), files.join(&sha)).expect("copy");
    let out = run().output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("PDF, 2 pages — text")),
        "{text}"
    );
}

/// A cached file changed after it was fetched (truncated, replaced) is
/// never previewed as the upload: its size or SHA-256 gives it away.
#[test]
fn a_tampered_cached_file_is_said_to_be_corrupt() {
    use sha2::Digest;
    let dir = tempfile::tempdir().expect("dir");
    let bytes = files::pdf(&[vec!["Budget 2026".into()]]);
    let sha = civitac::hex(&sha2::Sha256::digest(&bytes));
    let path = write(&dir, &sha, &bytes);
    let ok = preview::preview_checked(
        &path,
        "application/pdf",
        "b.pdf",
        Some((&sha, bytes.len() as i64)),
        Duration::from_secs(5),
    );
    assert!(ok.is_ok(), "{ok:?}");
    std::fs::write(&path, &bytes[..300]).expect("truncate");
    let cut = preview::preview_checked(
        &path,
        "application/pdf",
        "b.pdf",
        Some((&sha, bytes.len() as i64)),
        Duration::from_secs(5),
    );
    assert_eq!(cut, Err(PreviewError::Corrupt));
    let mut other = bytes.clone();
    other[20] ^= 1;
    std::fs::write(&path, &other).expect("flip");
    let flipped = preview::preview_checked(
        &path,
        "application/pdf",
        "b.pdf",
        Some((&sha, bytes.len() as i64)),
        Duration::from_secs(5),
    );
    assert_eq!(flipped, Err(PreviewError::Corrupt));
    assert!(
        PreviewError::Corrupt
            .message(Lang::Fr)
            .contains("récupérez-le à nouveau")
    );
}
