//! Layer blobs written as many gzip members, each recording its own length in its header, so
//! a pull inflates them side by side on all cores instead of one stream on one core.
//!
//! The bundled catalog's layers are written so (images/build.py): the layer's tar cut every
//! 1 MiB, each piece compressed by GNU gzip on its own, the pieces concatenated. Every gzip
//! reader reads such a file as the one tar (RFC 1952 allows members to follow each other; Go's
//! `compress/gzip`, which Docker uses, reads them all), and the extra field carrying the length
//! is skipped by any reader that does not know it. A blob whose members do not all record
//! lengths that tile it exactly is read as one stream, as before.
//!
//! Nothing here is trusted: each member's CRC-32 and size are checked by the inflater, and the
//! whole tar stream still has to hash to the layer's diff ID.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

/// The extra subfield's ID (RFC 1952 2.3.1.1): "GR", for gorae. Its 4 data bytes are the
/// member's length (little-endian), from its first header byte through its trailer.
const SUBFIELD_ID: [u8; 2] = *b"GR";

/// The header of a member that records its length: ID1 ID2, CM (deflate), FLG with only FEXTRA,
/// MTIME, XFL, OS, then XLEN 8 and the one subfield. 20 bytes.
const HEADER_LEN: usize = 20;

/// The most a member may inflate to (its trailer's ISIZE): the catalog's are 1 MiB; a blob
/// claiming more is read as one stream, so no header makes a worker allocate much.
const MAX_MEMBER_OUT: u32 = 4 << 20;

/// The most members a blob may have: a layer may unpack to 16 GiB at most
/// (`archive::Limits`), 16384 of the catalog's 1 MiB members. A blob of more (tiny members)
/// is read as one stream, so no blob makes the walk long or its list large.
const MAX_MEMBERS: usize = 16 << 10;

/// The most inflating threads: past a few, the unpack (file creation) decides anyway, and
/// memory in flight stays under `MAX_WORKERS × (MEMBERS_AHEAD + 1) × MAX_MEMBER_OUT` (48 MiB).
const MAX_WORKERS: usize = 4;

/// Inflated members waiting for the unpack, per worker: with two workers a few MiB in flight.
const MEMBERS_AHEAD: usize = 2;

/// Where a member lies in the blob and what it inflates to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Member {
    pub offset: u64,
    pub len: u32,
    /// The trailer's ISIZE: the member's inflated size.
    pub out: u32,
}

/// The length a member's header records, if it is one of ours.
fn recorded_len(h: &[u8; HEADER_LEN]) -> Option<u32> {
    let ours = h[..4] == [0x1f, 0x8b, 8, 0x04]
        && h[10..12] == [8, 0]
        && h[12..14] == SUBFIELD_ID
        && h[14..16] == [4, 0];
    ours.then(|| u32::from_le_bytes([h[16], h[17], h[18], h[19]]))
}

/// The members of a blob whose every member records its length, the lengths tiling the file
/// exactly; `None` for any other file (then it is read as one stream).
pub(crate) fn members(file: &File) -> Option<Vec<Member>> {
    let size = file.metadata().ok()?.len();
    let mut found = Vec::new();
    let mut offset = 0u64;
    while offset < size {
        if found.len() == MAX_MEMBERS {
            return None;
        }
        let mut head = [0u8; HEADER_LEN];
        file.read_exact_at(&mut head, offset).ok()?;
        let len = recorded_len(&head)?;
        // The header, an empty deflate block (2 bytes) and the trailer at least.
        if (len as usize) < HEADER_LEN + 2 + 8 {
            return None;
        }
        let end = offset + u64::from(len);
        if end > size {
            return None;
        }
        let mut isize = [0u8; 4];
        file.read_exact_at(&mut isize, end - 4).ok()?;
        let out = u32::from_le_bytes(isize);
        if out > MAX_MEMBER_OUT {
            return None;
        }
        found.push(Member { offset, len, out });
        offset = end;
    }
    (!found.is_empty()).then_some(found)
}

/// The inflated members of `file`, on receivers in order: member `i` arrives on
/// `receivers[i % receivers.len()]`, and the receiver whose turn it is closes after the last.
/// A worker stops at its first error (sent) or when the reader hangs up.
pub(crate) type Inflating = (
    Vec<mpsc::Receiver<io::Result<Vec<u8>>>>,
    Vec<JoinHandle<()>>,
);

/// Inflate `members` of `file` on up to `workers` threads (libdeflate: about 1.6x zlib's speed
/// here, but whole buffers only, which members are).
pub(crate) fn inflate(file: File, members: &[Member], workers: usize) -> Inflating {
    let workers = workers.clamp(1, members.len().clamp(1, MAX_WORKERS));
    let file = Arc::new(file);
    let mut receivers = Vec::with_capacity(workers);
    let mut handles = Vec::with_capacity(workers);
    for w in 0..workers {
        let (tx, rx) = mpsc::sync_channel(MEMBERS_AHEAD);
        let mine: Vec<Member> = members.iter().skip(w).step_by(workers).copied().collect();
        let file = Arc::clone(&file);
        handles.push(std::thread::spawn(move || {
            let mut inflater = libdeflater::Decompressor::new();
            let mut input = Vec::new();
            for m in mine {
                let got = inflate_member(&file, &mut inflater, &mut input, m);
                let failed = got.is_err();
                if tx.send(got).is_err() || failed {
                    break;
                }
            }
        }));
        receivers.push(rx);
    }
    (receivers, handles)
}

fn inflate_member(
    file: &File,
    inflater: &mut libdeflater::Decompressor,
    input: &mut Vec<u8>,
    m: Member,
) -> io::Result<Vec<u8>> {
    input.resize(m.len as usize, 0);
    file.read_exact_at(input, m.offset)?;
    let mut out = vec![0; m.out as usize];
    // libdeflate checks the trailer: the CRC-32 of what it wrote and that ISIZE is its length.
    inflater.gzip_decompress(input, &mut out).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("gzip member at byte {}: {e}", m.offset),
        )
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// `data` as members of `piece` bytes each, every one recording its length.
    pub(crate) fn write_members(data: &[u8], piece: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for chunk in data.chunks(piece.max(1)) {
            let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
            e.write_all(chunk).unwrap();
            let deflated = e.finish().unwrap();
            let len = (HEADER_LEN + deflated.len() + 8) as u32;
            out.extend_from_slice(&member_header(len));
            out.extend_from_slice(&deflated);
            let mut crc = flate2::Crc::new();
            crc.update(chunk);
            out.extend_from_slice(&crc.sum().to_le_bytes());
            out.extend_from_slice(&(chunk.len() as u32).to_le_bytes());
        }
        out
    }

    /// The 20-byte header of a member recording `len` (the catalog's writer is images/build.py).
    fn member_header(len: u32) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[..4].copy_from_slice(&[0x1f, 0x8b, 8, 0x04]);
        h[9] = 3; // OS: Unix, as GNU gzip writes
        h[10] = 8; // XLEN
        h[12..14].copy_from_slice(&SUBFIELD_ID);
        h[14] = 4; // SLEN
        h[16..20].copy_from_slice(&len.to_le_bytes());
        h
    }

    fn file_of(bytes: &[u8]) -> File {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    fn sample() -> Vec<u8> {
        (0..300_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect()
    }

    fn inflate_all(file: File, members: &[Member], workers: usize) -> io::Result<Vec<u8>> {
        let (receivers, handles) = inflate(file, members, workers);
        let mut out = Vec::new();
        for i in 0.. {
            match receivers[i % receivers.len()].recv() {
                Ok(chunk) => out.extend_from_slice(&chunk?),
                Err(_) => break,
            }
        }
        drop(receivers);
        for h in handles {
            h.join().unwrap();
        }
        Ok(out)
    }

    #[test]
    fn members_that_record_their_lengths_are_found_and_inflate_in_order() {
        let data = sample();
        let blob = write_members(&data, 100_000);
        let found = members(&file_of(&blob)).unwrap();
        assert_eq!(found.len(), data.len().div_ceil(100_000));
        assert_eq!(found[0].offset, 0);
        assert_eq!(
            found.iter().map(|m| u64::from(m.out)).sum::<u64>(),
            data.len() as u64
        );
        for workers in [1, 2, 3, 64] {
            assert_eq!(inflate_all(file_of(&blob), &found, workers).unwrap(), data);
        }
        // Any gzip reader reads the same bytes.
        let mut plain = Vec::new();
        flate2::read::MultiGzDecoder::new(&blob[..])
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, data);
    }

    #[test]
    fn other_files_are_read_as_one_stream() {
        let data = sample();
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
        e.write_all(&data).unwrap();
        assert_eq!(members(&file_of(&e.finish().unwrap())), None, "plain gzip");
        assert_eq!(members(&file_of(b"")), None, "empty file");
        let blob = write_members(&data, 100_000);
        assert_eq!(
            members(&file_of(&blob[..blob.len() - 1])),
            None,
            "truncated"
        );
        let mut longer = blob.clone();
        longer.push(0);
        assert_eq!(members(&file_of(&longer)), None, "trailing byte");
        let mut lying = blob.clone();
        lying[16..20].copy_from_slice(&(blob.len() as u32 + 10).to_le_bytes());
        assert_eq!(members(&file_of(&lying)), None, "a length past the end");
        let mut huge = write_members(&data[..1000], 1000);
        let n = huge.len();
        huge[n - 4..].copy_from_slice(&(MAX_MEMBER_OUT + 1).to_le_bytes());
        assert_eq!(members(&file_of(&huge)), None, "an ISIZE over the cap");
        let tiny = write_members(&data[..MAX_MEMBERS + 1], 1);
        assert_eq!(members(&file_of(&tiny)), None, "more members than the cap");
        let tiny = write_members(&data[..MAX_MEMBERS], 1);
        assert_eq!(members(&file_of(&tiny)).map(|m| m.len()), Some(MAX_MEMBERS));
    }

    #[test]
    fn a_damaged_member_is_an_error_not_other_bytes() {
        let data = sample();
        let mut blob = write_members(&data, 100_000);
        let found = members(&file_of(&blob)).unwrap();
        // A byte in the second member's deflate data.
        let at = found[1].offset as usize + HEADER_LEN + 40;
        blob[at] ^= 0x55;
        let err = inflate_all(file_of(&blob), &found, 2).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
    }

    #[test]
    fn a_layer_of_members_unpacks_as_the_same_layer_in_one_stream() {
        let mut tar = tar::Builder::new(Vec::new());
        let big: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 253) as u8).collect();
        for (name, body) in [
            ("a/big", &big[..]),
            ("a/small", b"hello\n"),
            ("b", &big[..777]),
        ] {
            let mut h = tar::Header::new_gnu();
            h.set_size(body.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            tar.append_data(&mut h, name, body).unwrap();
        }
        let tar = tar.into_inner().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
        e.write_all(&tar).unwrap();
        let plain = dir.path().join("plain.gz");
        std::fs::write(&plain, e.finish().unwrap()).unwrap();
        let split = dir.path().join("members.gz");
        std::fs::write(&split, write_members(&tar, 1 << 20)).unwrap();
        let expected = tar.len().div_ceil(1 << 20);
        assert!(expected > 1);
        assert_eq!(
            members(&File::open(&split).unwrap()).map(|m| m.len()),
            Some(expected)
        );

        let one = super::super::layers::unpack_blob_into(&plain, &dir.path().join("one")).unwrap();
        let many =
            super::super::layers::unpack_blob_into(&split, &dir.path().join("many")).unwrap();
        assert_eq!(one, many);
        assert_eq!(
            many.1,
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&tar))
        );
        for name in ["a/big", "a/small", "b"] {
            assert_eq!(
                std::fs::read(dir.path().join("one").join(name)).unwrap(),
                std::fs::read(dir.path().join("many").join(name)).unwrap(),
                "{name}"
            );
        }
    }
}
