//! The matching index kept on disk, so that a server starts in seconds: written after a full
//! build, every so often while the index moves, and on shutdown; read at start and brought up
//! to date from the change feed. A file is used only when it is whole (its checksum), of this
//! format and this program's version, for this database, for the day being served, and not
//! ahead of the database's commits; otherwise the index is built from the store and the file
//! written anew.
//!
//! The file: the body (the index's parts and every enterprise's name, postcard), then the
//! header (postcard), then the header's length (4 bytes, little-endian) and the magic.

use crate::live_index::Live;
use chrono::{Datelike, NaiveDate};
use pledge_domain::Uscc;
use pledge_matching::{Index, IndexParts, IndexPartsRef};
use pledge_store::FeedPosition;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"PLEDGEIX";
/// Bumped whenever the body changes shape.
const FORMAT: u32 = 1;
/// The oldest file read: older, the rebuild is as quick as catching up on a day of changes.
const MAX_AGE_SECONDS: i64 = 24 * 3600;

/// Where the index is kept and how often it is written while it moves.
#[derive(Debug, Clone)]
pub struct Snapshots {
    pub path: PathBuf,
    pub every: std::time::Duration,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Header {
    format: u32,
    version: String,
    /// The day the index answers for, as days from the common era.
    as_of: i32,
    written_at: i64,
    database: String,
    commit: i64,
    record: i64,
    body_len: u64,
    body_crc: u32,
}

#[derive(Serialize)]
struct BodyRef<'a> {
    index: IndexPartsRef<'a>,
    names: Vec<(&'a Uscc, &'a str)>,
}

#[derive(Deserialize)]
struct Body {
    index: IndexParts,
    names: Vec<(Uscc, Box<str>)>,
}

/// What a snapshot file is checked against before it is used.
#[derive(Debug, Clone)]
pub(crate) struct Expected<'a> {
    pub as_of: NaiveDate,
    pub database: &'a str,
    /// The database's last commit: a file ahead of it is of another history.
    pub committed: i64,
    pub now: i64,
}

/// Why a snapshot file was not used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Unusable {
    #[error("there is none")]
    Missing,
    #[error("it could not be read: {0}")]
    Io(#[from] std::io::Error),
    #[error("it is damaged: {0}")]
    Damaged(String),
    #[error("it is of another format or version ({0})")]
    Version(String),
    #[error("it is of another database")]
    Database,
    #[error("it is for {0}, not the day served")]
    Day(NaiveDate),
    #[error("it is older than a day")]
    Stale,
    #[error("it is ahead of the database's commits")]
    Ahead,
}

/// What a usable file holds: the index, every enterprise's name, and the change position
/// the index covers.
pub(crate) type Kept = (Index, HashMap<Uscc, Box<str>>, FeedPosition);

/// A CRC-32 of what passes through.
struct Summed<W> {
    inner: W,
    crc: crc32fast::Hasher,
    len: u64,
}

impl<W: Write> Write for Summed<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn damaged(e: impl std::fmt::Display) -> Unusable {
    Unusable::Damaged(e.to_string())
}

/// Writes `live` as of `at` to `path` (through a file beside it, renamed into place, so that
/// a reader never sees half a file); returns the bytes written.
pub(crate) fn write(
    path: &Path,
    live: &Live,
    at: FeedPosition,
    database: &str,
    now: i64,
) -> std::io::Result<u64> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let result = (|| {
        let file = std::fs::File::create(&tmp)?;
        let mut out = Summed {
            inner: std::io::BufWriter::with_capacity(1 << 20, file),
            crc: crc32fast::Hasher::new(),
            len: 0,
        };
        let body = BodyRef {
            index: live.index.parts(),
            names: live.names.iter().map(|(u, n)| (u, &**n)).collect(),
        };
        out = postcard::to_io(&body, out).map_err(std::io::Error::other)?;
        let Summed {
            inner: mut file,
            crc,
            len,
        } = out;
        let header = Header {
            format: FORMAT,
            version: env!("CARGO_PKG_VERSION").into(),
            as_of: live.index.as_of().num_days_from_ce(),
            written_at: now,
            database: database.into(),
            commit: at.commit,
            record: at.record,
            body_len: len,
            body_crc: crc.finalize(),
        };
        let header = postcard::to_allocvec(&header).map_err(std::io::Error::other)?;
        file.write_all(&header)?;
        file.write_all(&(header.len() as u32).to_le_bytes())?;
        file.write_all(MAGIC)?;
        let file = file.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        Ok(len)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The header at the end of the file.
fn header(file: &mut std::fs::File) -> Result<Header, Unusable> {
    let size = file.metadata()?.len();
    if size < 12 {
        return Err(damaged("too short"));
    }
    let mut tail = [0u8; 12];
    file.seek(SeekFrom::Start(size - 12))?;
    file.read_exact(&mut tail)?;
    if &tail[4..] != MAGIC {
        return Err(damaged("no magic"));
    }
    let len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if len > 4096 || len + 12 > size {
        return Err(damaged("header length"));
    }
    let mut bytes = vec![0; len as usize];
    file.seek(SeekFrom::Start(size - 12 - len))?;
    file.read_exact(&mut bytes)?;
    let header: Header = postcard::from_bytes(&bytes).map_err(damaged)?;
    if header.body_len + len + 12 != size {
        return Err(damaged("body length"));
    }
    Ok(header)
}

/// The index, names and change position kept in `path`, if the file may be used.
pub(crate) fn read(path: &Path, expected: &Expected<'_>) -> Result<Kept, Unusable> {
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Unusable::Missing),
        Err(e) => return Err(e.into()),
    };
    let h = header(&mut file)?;
    if h.format != FORMAT || h.version != env!("CARGO_PKG_VERSION") {
        return Err(Unusable::Version(format!("{} {}", h.format, h.version)));
    }
    if h.database != expected.database {
        return Err(Unusable::Database);
    }
    let day = NaiveDate::from_num_days_from_ce_opt(h.as_of).ok_or_else(|| damaged("day"))?;
    if day != expected.as_of {
        return Err(Unusable::Day(day));
    }
    if expected.now - h.written_at > MAX_AGE_SECONDS {
        return Err(Unusable::Stale);
    }
    if h.commit > expected.committed {
        return Err(Unusable::Ahead);
    }
    let mut bytes = vec![0; usize::try_from(h.body_len).map_err(damaged)?];
    file.seek(SeekFrom::Start(0))?;
    file.read_exact(&mut bytes)?;
    if crc32fast::hash(&bytes) != h.body_crc {
        return Err(damaged("checksum"));
    }
    let body: Body = postcard::from_bytes(&bytes).map_err(damaged)?;
    drop(bytes);
    if body.index.as_of() != expected.as_of {
        return Err(damaged("the index's day"));
    }
    let index = Index::from_parts(body.index).map_err(damaged)?;
    Ok((
        index,
        body.names.into_iter().collect(),
        FeedPosition {
            commit: h.commit,
            record: h.record,
        },
    ))
}
