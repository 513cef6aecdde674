//! The files a generation writes: each CSV is written in chunks of about a megabyte straight
//! from the row buffer; with `zip`, each chunk is also handed to a second thread that deflates
//! it into the `.zip` file, so that compression runs beside generation on another core.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use zip::ZipWriter;
use zip::write::SimpleFileOptions;

use crate::GenerateError;

/// Size of a chunk handed to the file (and to the compressor).
const CHUNK: usize = 1 << 20;
/// Chunks waiting for the compressor at most: bounds memory when it is slower than generation.
const QUEUE: usize = 8;
/// Deflate level of the archives: fast, since the archives are rewritten at each generation.
const ZIP_LEVEL: i64 = 3;

/// A chunk of a file for the compressor: the file's index and its bytes.
type Chunk = (usize, Vec<u8>);

/// One CSV being written.
pub(crate) struct Output {
    path: PathBuf,
    file: File,
    pub(crate) buf: Vec<u8>,
    bytes: u64,
    pub(crate) rows: u64,
    zip: Option<(usize, SyncSender<Chunk>)>,
}

impl Output {
    pub(crate) fn create(path: PathBuf) -> Result<Self, GenerateError> {
        let file = File::create(&path).map_err(|source| GenerateError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(Self {
            path,
            file,
            buf: Vec::with_capacity(CHUNK + 64 * 1024),
            bytes: 0,
            rows: 0,
            zip: None,
        })
    }

    /// Counts the row just written to the buffer, and writes the buffer out when full.
    #[inline]
    pub(crate) fn row_done(&mut self) -> Result<(), GenerateError> {
        self.rows += 1;
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), GenerateError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.file
            .write_all(&self.buf)
            .map_err(|source| GenerateError::Io {
                path: self.path.clone(),
                source,
            })?;
        self.bytes += self.buf.len() as u64;
        if let Some((id, sender)) = &self.zip {
            // A closed channel means the compressor failed; its error is reported at the end.
            let _ = sender.send((*id, self.buf.clone()));
        }
        self.buf.clear();
        Ok(())
    }

    /// Writes what is left and closes the file; returns its path and size.
    pub(crate) fn finish(mut self) -> Result<(PathBuf, u64), GenerateError> {
        self.flush()?;
        self.zip = None;
        self.file.sync_all().map_err(|source| GenerateError::Io {
            path: self.path.clone(),
            source,
        })?;
        Ok((self.path, self.bytes))
    }
}

/// The compressor thread and the archives it writes.
pub(crate) struct Zipper {
    handle: JoinHandle<Result<(), GenerateError>>,
    paths: Vec<PathBuf>,
}

impl Zipper {
    /// Opens one archive per `(zip path, entry name)` and attaches each to its output.
    pub(crate) fn start(
        entries: &[(PathBuf, &str)],
        outputs: &mut [&mut Output],
        large: bool,
    ) -> Result<Self, GenerateError> {
        let (sender, receiver) = sync_channel::<Chunk>(QUEUE);
        let mut writers = Vec::new();
        for (path, entry) in entries {
            writers.push((path.clone(), open_archive(path, entry, large)?));
        }
        for (id, output) in outputs.iter_mut().enumerate() {
            output.zip = Some((id, sender.clone()));
        }
        drop(sender);
        let paths = entries.iter().map(|(path, _)| path.clone()).collect();
        let handle = std::thread::Builder::new()
            .name("essor-synth-zip".into())
            .spawn(move || compress(&receiver, writers))
            .map_err(|source| GenerateError::Io {
                path: PathBuf::from("(thread)"),
                source,
            })?;
        Ok(Self { handle, paths })
    }

    /// Waits for the compressor to finish (every output must be finished first) and returns
    /// each archive's path and size.
    pub(crate) fn finish(self) -> Result<Vec<(PathBuf, u64)>, GenerateError> {
        let result = self.handle.join().map_err(|_| GenerateError::Zip {
            path: self.paths.first().cloned().unwrap_or_default(),
            detail: "le fil de compression s’est arrêté".into(),
        })?;
        result?;
        self.paths
            .into_iter()
            .map(|path| {
                let bytes = std::fs::metadata(&path)
                    .map_err(|source| GenerateError::Io {
                        path: path.clone(),
                        source,
                    })?
                    .len();
                Ok((path, bytes))
            })
            .collect()
    }
}

fn open_archive(
    path: &Path,
    entry: &str,
    large: bool,
) -> Result<ZipWriter<BufWriter<File>>, GenerateError> {
    let file = File::create(path).map_err(|source| GenerateError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut writer = ZipWriter::new(BufWriter::with_capacity(CHUNK, file));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(ZIP_LEVEL))
        .large_file(large);
    writer
        .start_file(entry, options)
        .map_err(|error| zip_error(path, &error))?;
    Ok(writer)
}

fn compress(
    receiver: &Receiver<Chunk>,
    mut writers: Vec<(PathBuf, ZipWriter<BufWriter<File>>)>,
) -> Result<(), GenerateError> {
    while let Ok((id, chunk)) = receiver.recv() {
        let (path, writer) = &mut writers[id];
        writer
            .write_all(&chunk)
            .map_err(|source| GenerateError::Io {
                path: path.clone(),
                source,
            })?;
    }
    for (path, writer) in writers {
        let mut inner = writer.finish().map_err(|error| zip_error(&path, &error))?;
        inner.flush().map_err(|source| GenerateError::Io {
            path: path.clone(),
            source,
        })?;
        inner
            .get_ref()
            .sync_all()
            .map_err(|source| GenerateError::Io { path, source })?;
    }
    Ok(())
}

fn zip_error(path: &Path, error: &zip::result::ZipError) -> GenerateError {
    GenerateError::Zip {
        path: path.to_owned(),
        detail: error.to_string(),
    }
}
