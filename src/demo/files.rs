//! Small but real files for the demo's uploads, so previews can be tried: a
//! PDF with a text layer (or scanned pages with none), a JPEG's headers, an
//! MP3 whose header says how long it is, an MP4's movie header. They are as
//! short as their formats allow; readers learn what they need from headers.

/// A PDF of one page per entry of `pages`, each page its lines of text (no
/// line: a scanned page, a grey rectangle and no text).
pub fn pdf(pages: &[Vec<String>]) -> Vec<u8> {
    let mut objects: Vec<String> = Vec::new();
    // 1: catalog, 2: pages, 3: font; then per page its page and content.
    let n = pages.len();
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 4 + 2 * i)).collect();
    objects.push("<< /Type /Catalog /Pages 2 0 R >>".into());
    objects.push(format!(
        "<< /Type /Pages /Kids [{}] /Count {n} >>",
        kids.join(" ")
    ));
    objects.push(
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".into(),
    );
    for (i, lines) in pages.iter().enumerate() {
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            5 + 2 * i
        ));
        let stream = if lines.is_empty() {
            "0.8 g 40 40 515 762 re f".to_owned()
        } else {
            let mut s = String::from("BT /F1 11 Tf 14 TL 50 790 Td");
            for line in lines {
                s.push_str(&format!(" ({}) Tj T*", escape(line)));
            }
            s.push_str(" ET");
            s
        };
        objects.push(format!(
            "<< /Length {} >>\nstream\n{stream}\nendstream",
            latin1(&stream).len()
        ));
    }
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend(latin1(o));
        out.extend(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// Text in a PDF string: parentheses and backslashes escaped.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('(', "\\(")
        .replace(')', "\\)")
}

/// WinAnsi bytes of a text (French letters are in Latin-1, dashes and
/// quotes in WinAnsi's own places; anything else becomes ?).
fn latin1(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            '—' => 0x97,
            '–' => 0x96,
            '’' => 0x92,
            '…' => 0x85,
            '€' => 0x80,
            c => u8::try_from(u32::from(c)).unwrap_or(b'?'),
        })
        .collect()
}

/// A JPEG's headers (start, JFIF, frame header with its size, end).
pub fn jpeg(width: u16, height: u16) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    out.extend(b"JFIF\0\x01\x01\x00\x00\x48\x00\x48\x00\x00");
    out.extend([0xFF, 0xC0, 0x00, 0x11, 0x08]);
    out.extend(height.to_be_bytes());
    out.extend(width.to_be_bytes());
    out.extend([0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01]);
    out.extend([0xFF, 0xD9]);
    out
}

/// An MP3 (MPEG-1 Layer III, 44.1 kHz, mono) whose Info header counts the
/// frames of `seconds` of sound; a few silent frames follow it.
pub fn mp3(seconds: u32) -> Vec<u8> {
    let mut out = b"ID3\x03\x00\x00\x00\x00\x00\x00".to_vec();
    // 64 kbit/s: 208-byte frames.
    let header = [0xFF, 0xFB, 0x50, 0xC4];
    let frames = (u64::from(seconds) * 44_100 / 1152) as u32;
    let mut first = vec![0u8; 208];
    first[..4].copy_from_slice(&header);
    // Mono MPEG-1: 17 bytes of side information, then the Info header.
    first[21..25].copy_from_slice(b"Info");
    first[25..29].copy_from_slice(&1u32.to_be_bytes());
    first[29..33].copy_from_slice(&frames.to_be_bytes());
    out.extend(first);
    for _ in 0..3 {
        let mut frame = vec![0u8; 208];
        frame[..4].copy_from_slice(&header);
        out.extend(frame);
    }
    out
}

/// An MP4 (ftyp, then a movie header of `seconds` and one video track of
/// `width` × `height`); no media data.
pub fn mp4(seconds: u32, width: u16, height: u16) -> Vec<u8> {
    fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut b = u32::try_from(body.len() + 8)
            .unwrap_or(u32::MAX)
            .to_be_bytes()
            .to_vec();
        b.extend(kind);
        b.extend(body);
        b
    }
    let mut mvhd = vec![0u8; 100];
    mvhd[12..16].copy_from_slice(&1000u32.to_be_bytes());
    mvhd[16..20].copy_from_slice(&(seconds * 1000).to_be_bytes());
    let mut tkhd = vec![0u8; 84];
    tkhd[76..80].copy_from_slice(&(u32::from(width) << 16).to_be_bytes());
    tkhd[80..84].copy_from_slice(&(u32::from(height) << 16).to_be_bytes());
    let trak = boxed(b"trak", &boxed(b"tkhd", &tkhd));
    let mut moov_body = boxed(b"mvhd", &mvhd);
    moov_body.extend(trak);
    let mut out = boxed(b"ftyp", b"isom\0\0\x02\0isomiso2mp41");
    out.extend(boxed(b"moov", &moov_body));
    out
}

/// A WAV of `seconds` of silence, 8 kHz, 8-bit mono.
pub fn wav(seconds: u32) -> Vec<u8> {
    let data = seconds * 8_000;
    let mut out = b"RIFF".to_vec();
    out.extend((36 + data).to_le_bytes());
    out.extend(b"WAVEfmt ");
    out.extend(16u32.to_le_bytes());
    out.extend(1u16.to_le_bytes());
    out.extend(1u16.to_le_bytes());
    out.extend(8_000u32.to_le_bytes());
    out.extend(8_000u32.to_le_bytes());
    out.extend(1u16.to_le_bytes());
    out.extend(8u16.to_le_bytes());
    out.extend(b"data");
    out.extend(data.to_le_bytes());
    out.extend(std::iter::repeat_n(0x80u8, data as usize));
    out
}
