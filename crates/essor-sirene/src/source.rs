//! Opening a CSV stock file as INSEE publishes it: a CSV, or a `.zip` holding one CSV (recognised
//! by its signature, whatever its name). The zip entry is inflated as a stream.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::ImportError;

/// What was opened.
#[derive(Debug, Clone)]
pub(crate) struct SourceInfo {
    /// The path as given, for messages.
    pub(crate) file: String,
    /// Size of the file on disk (compressed for a zip).
    pub(crate) bytes: u64,
    pub(crate) zipped: bool,
    /// The CSV inside the zip.
    pub(crate) entry: Option<String>,
}

impl SourceInfo {
    /// The error for a failed read at `offset` (bytes of the file on disk consumed).
    pub(crate) fn read_error(&self, offset: u64, source: &io::Error) -> ImportError {
        if self.zipped {
            ImportError::Zip {
                file: self.file.clone(),
                message: source.to_string(),
            }
        } else {
            ImportError::Read {
                file: self.file.clone(),
                offset,
                source: io::Error::new(source.kind(), source.to_string()),
            }
        }
    }
}

/// A file that counts the bytes consumed from disk (its position), for the progress bar.
struct CountingFile {
    file: File,
    position: Arc<AtomicU64>,
}

impl Read for CountingFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        self.position.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl Seek for CountingFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let at = self.file.seek(pos)?;
        self.position.store(at, Ordering::Relaxed);
        Ok(at)
    }
}

/// Opens `path` and runs `read` on the CSV stream (inflated when zipped). `position` follows the
/// bytes of the file on disk consumed so far.
pub(crate) fn with_source<T>(
    path: &Path,
    position: &Arc<AtomicU64>,
    read: impl FnOnce(&mut dyn Read, &SourceInfo) -> Result<T, ImportError>,
) -> Result<T, ImportError> {
    let name = path.display().to_string();
    let open_error = |source| ImportError::Open {
        file: name.clone(),
        source,
    };
    let mut file = File::open(path).map_err(open_error)?;
    let bytes = file.metadata().map_err(open_error)?.len();
    let mut signature = [0u8; 4];
    let zipped = matches!(read_prefix(&mut file, &mut signature), Ok(4))
        && (signature == *b"PK\x03\x04" || signature == *b"PK\x05\x06");
    file.seek(SeekFrom::Start(0)).map_err(open_error)?;
    position.store(0, Ordering::Relaxed);
    let counting = CountingFile {
        file,
        position: Arc::clone(position),
    };
    if !zipped {
        let info = SourceInfo {
            file: name,
            bytes,
            zipped: false,
            entry: None,
        };
        let mut counting = counting;
        return read(&mut counting, &info);
    }
    let zip_error = |error: zip::result::ZipError| ImportError::Zip {
        file: name.clone(),
        message: error.to_string(),
    };
    let mut archive = zip::ZipArchive::new(counting).map_err(zip_error)?;
    let names: Vec<String> = archive.file_names().map(str::to_owned).collect();
    let csv_entries: Vec<&String> = names
        .iter()
        .filter(|n| n.to_ascii_lowercase().ends_with(".csv"))
        .collect();
    let entry = match csv_entries.as_slice() {
        [] => return Err(ImportError::ZipWithoutCsv { file: name }),
        [first, ..] => (*first).clone(),
    };
    let mut csv = archive.by_name(&entry).map_err(zip_error)?;
    let info = SourceInfo {
        file: name,
        bytes,
        zipped: true,
        entry: Some(entry),
    };
    read(&mut csv, &info)
}

fn read_prefix(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}
