//! The index: on disk or in memory, its writer, and the snapshot searches read.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use tantivy::directory::MmapDirectory;
use tantivy::index::SegmentId;
use tantivy::merge_policy::{LogMergePolicy, NoMergePolicy};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, TantivyError, Term};

use crate::analysis::Analyzers;
use crate::engine::{Order, Request, Snapshot};
use crate::query::{self, Mode};
use crate::schema::{Fields, SCHEMA_VERSION};
use crate::tables::{Interner, SegmentTables};
use crate::{ActorDocument, Filters, Hit, Result, SearchError, SearchQuery, SearchResults, Sort};

/// The file, in the index's directory, holding the schema version of a complete index.
const VERSION_FILE: &str = "essor-schema-version";
/// Memory of the writer, per indexing thread.
const WRITER_MEMORY_PER_THREAD: usize = 64 * 1024 * 1024;

/// The search index of the directory of actors. `Send + Sync`: share it behind an `Arc`.
///
/// Searches read an immutable snapshot (a searcher and its segments' tables) and never wait for
/// writes; writes are serialised and swap in a new snapshot before returning.
pub struct ActorIndex {
    index: Index,
    fields: Fields,
    analyzers: Analyzers,
    reader: IndexReader,
    writer: Mutex<Writing>,
    snapshot: RwLock<Arc<Snapshot>>,
    needs_rebuild: AtomicBool,
    /// Where the version file goes once a rebuild completes (`None` in memory).
    dir: Option<PathBuf>,
}

/// What writes share, under one lock.
struct Writing {
    writer: IndexWriter,
    interners: [Interner; 6],
    /// The tables of the segments seen so far.
    tables: HashMap<SegmentId, Arc<SegmentTables>>,
}

impl ActorIndex {
    /// Opens the index in `dir`, a folder of its own, or creates it there. An index of another
    /// schema version, or one that cannot be opened, is wiped and created anew:
    /// [`ActorIndex::needs_rebuild`] then tells the caller to rebuild it.
    pub fn open_or_create(dir: &Path) -> Result<Self> {
        fs::create_dir_all(dir).map_err(|source| io_error(dir, source))?;
        let version = fs::read_to_string(dir.join(VERSION_FILE)).ok();
        if version.as_deref().map(str::trim) == Some(SCHEMA_VERSION.to_string().as_str()) {
            match Self::open_existing(dir) {
                Ok(index) => return Ok(index),
                // Another process holds the index: wiping it would be wrong.
                Err(error @ SearchError::Tantivy(TantivyError::LockFailure(..))) => {
                    return Err(error);
                }
                Err(error) => {
                    tracing::warn!(dir = %dir.display(), %error, "search index unreadable, recreating it");
                }
            }
        } else {
            tracing::info!(dir = %dir.display(), "search index missing or of another version, creating it");
        }
        wipe(dir)?;
        let (schema, fields) = Fields::build();
        let directory = MmapDirectory::open(dir).map_err(TantivyError::from)?;
        let index = Index::create(directory, schema, tantivy::IndexSettings::default())?;
        Self::with_index(index, fields, Some(dir.to_owned()), true)
    }

    /// A new index in memory (tests, benchmarks).
    pub fn in_memory() -> Result<Self> {
        let (schema, fields) = Fields::build();
        let index = Index::create_in_ram(schema);
        Self::with_index(index, fields, None, true)
    }

    fn open_existing(dir: &Path) -> Result<Self> {
        let index = Index::open_in_dir(dir)?;
        let (schema, fields) = Fields::build();
        if index.schema() != schema {
            return Err(SearchError::Tantivy(TantivyError::SchemaError(
                "schema differs from this version's".to_owned(),
            )));
        }
        Self::with_index(index, fields, Some(dir.to_owned()), false)
    }

    fn with_index(
        index: Index,
        fields: Fields,
        dir: Option<PathBuf>,
        needs_rebuild: bool,
    ) -> Result<Self> {
        let analyzers = Analyzers::new();
        analyzers.register(index.tokenizers());
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        let writer: IndexWriter<TantivyDocument> =
            index.writer_with_num_threads(threads, threads * WRITER_MEMORY_PER_THREAD)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let mut writer = Writing {
            writer,
            interners: Default::default(),
            tables: HashMap::new(),
        };
        let snapshot = take_snapshot(&reader, &fields, &mut writer)?;
        Ok(ActorIndex {
            index,
            fields,
            analyzers,
            reader,
            writer: Mutex::new(writer),
            snapshot: RwLock::new(Arc::new(snapshot)),
            needs_rebuild: AtomicBool::new(needs_rebuild),
            dir,
        })
    }

    /// Whether the index was created empty (new, of another version, or unreadable) and has
    /// not been rebuilt since: the caller should call [`ActorIndex::rebuild`].
    #[must_use]
    pub fn needs_rebuild(&self) -> bool {
        self.needs_rebuild.load(Ordering::Relaxed)
    }

    /// Replaces every document, in one commit: until it returns, searches see the previous
    /// documents, and a crash leaves them in place. Returns the number of documents indexed.
    pub fn rebuild(&self, docs: impl IntoIterator<Item = ActorDocument>) -> Result<usize> {
        let mut guard = self.lock_writer()?;
        let state = &mut *guard;
        // No background merge may race the single merge below.
        state.writer.set_merge_policy(Box::new(NoMergePolicy));
        let result = self.rebuild_locked(state, docs);
        state
            .writer
            .set_merge_policy(Box::new(LogMergePolicy::default()));
        let count = match result {
            Ok(count) => count,
            Err(error) => {
                // Drops what was added: the next commit must not publish half a rebuild.
                state.writer.rollback()?;
                return Err(error);
            }
        };
        self.refresh(state)?;
        if let Some(dir) = &self.dir {
            fs::write(dir.join(VERSION_FILE), format!("{SCHEMA_VERSION}\n"))
                .map_err(|source| io_error(dir, source))?;
        }
        self.needs_rebuild.store(false, Ordering::Relaxed);
        tracing::info!(documents = count, "search index rebuilt");
        Ok(count)
    }

    fn rebuild_locked(
        &self,
        state: &mut Writing,
        docs: impl IntoIterator<Item = ActorDocument>,
    ) -> Result<usize> {
        let mut analyzers = self.analyzers.clone();
        state.writer.delete_all_documents()?;
        let mut count = 0;
        for doc in docs {
            state
                .writer
                .add_document(self.fields.document(doc, &mut analyzers))?;
            count += 1;
        }
        state.writer.commit()?;
        // One segment searches fastest; the merge publishes the same documents.
        let segments = self.index.searchable_segment_ids()?;
        if segments.len() > 1
            && let Err(error) = state.writer.merge(&segments).wait()
        {
            tracing::warn!(%error, "search index segments not merged after a rebuild");
        }
        Ok(count)
    }

    /// Adds or replaces one actor (by SIRET); searches see it when this returns.
    pub fn upsert(&self, doc: ActorDocument) -> Result<()> {
        let mut analyzers = self.analyzers.clone();
        let siret = Term::from_field_text(self.fields.siret, &doc.siret);
        let document = self.fields.document(doc, &mut analyzers);
        let mut guard = self.lock_writer()?;
        let state = &mut *guard;
        state.writer.delete_term(siret);
        state.writer.add_document(document)?;
        state.writer.commit()?;
        self.refresh(state)
    }

    /// Removes one actor (by SIRET); searches no longer see it when this returns.
    pub fn remove(&self, siret: &str) -> Result<()> {
        let mut guard = self.lock_writer()?;
        let state = &mut *guard;
        state
            .writer
            .delete_term(Term::from_field_text(self.fields.siret, siret));
        state.writer.commit()?;
        self.refresh(state)
    }

    /// The number of documents, active or not.
    #[must_use]
    pub fn len(&self) -> usize {
        usize::try_from(self.snapshot().searcher.num_docs()).unwrap_or(usize::MAX)
    }

    /// Whether the index has no document.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Searches the directory.
    pub fn search(&self, search: &SearchQuery) -> Result<SearchResults> {
        let snapshot = self.snapshot();
        let mut analyzers = self.analyzers.clone();
        let plan = query::plan(&self.fields, &mut analyzers, &search.text, Mode::AllFields)?;
        let order = if plan.is_some() && search.sort == Sort::Relevance {
            Order::Score
        } else {
            Order::Name
        };
        let found = snapshot.run(
            &self.fields,
            &Request {
                plan: plan.as_ref(),
                filters: &search.filters,
                include_closed: search.include_closed,
                order,
                offset: search.offset,
                limit: search.limit,
                count_facets: true,
                facet_limit: search.facet_limit,
            },
        )?;
        Ok(SearchResults {
            total: found.total,
            hits: found.hits,
            facets: found.facets,
            relaxed: found.relaxed,
        })
    }

    /// Active actors whose name, sign or acronym matches what is being typed (the last word as
    /// a prefix, typos tolerated), best first.
    pub fn suggest(&self, prefix: &str, limit: usize) -> Result<Vec<Hit>> {
        let snapshot = self.snapshot();
        let mut analyzers = self.analyzers.clone();
        let Some(plan) = query::plan(&self.fields, &mut analyzers, prefix, Mode::Names)? else {
            return Ok(Vec::new());
        };
        let found = snapshot.run(
            &self.fields,
            &Request {
                plan: Some(&plan),
                filters: &Filters::default(),
                include_closed: false,
                order: Order::Score,
                offset: 0,
                limit,
                count_facets: false,
                facet_limit: None,
            },
        )?;
        Ok(if found.relaxed {
            Vec::new()
        } else {
            found.hits
        })
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.snapshot.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The writer, for one write. A write that panicked may have left uncommitted operations
    /// (half a rebuild): they are rolled back before the writer is used again.
    fn lock_writer(&self) -> Result<MutexGuard<'_, Writing>> {
        match self.writer.lock() {
            Ok(guard) => Ok(guard),
            Err(poisoned) => {
                let mut guard = poisoned.into_inner();
                guard.writer.rollback()?;
                guard
                    .writer
                    .set_merge_policy(Box::new(LogMergePolicy::default()));
                self.writer.clear_poison();
                tracing::warn!(
                    "search index writer recovered from a panic, its uncommitted operations rolled back"
                );
                Ok(guard)
            }
        }
    }

    /// Makes the last commit visible: reloads the reader and swaps in a new snapshot.
    fn refresh(&self, state: &mut Writing) -> Result<()> {
        self.reader.reload()?;
        let snapshot = take_snapshot(&self.reader, &self.fields, state)?;
        *self
            .snapshot
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(snapshot);
        Ok(())
    }
}

/// The reader's current searcher with the tables of its segments, reusing those already built.
fn take_snapshot(reader: &IndexReader, fields: &Fields, state: &mut Writing) -> Result<Snapshot> {
    let searcher = reader.searcher();
    let mut tables = HashMap::with_capacity(searcher.segment_readers().len());
    let mut ordered = Vec::with_capacity(searcher.segment_readers().len());
    for segment in searcher.segment_readers() {
        let id = segment.segment_id();
        let table = match state.tables.get(&id) {
            Some(table) => Arc::clone(table),
            None => Arc::new(SegmentTables::build(segment, fields, &mut state.interners)?),
        };
        tables.insert(id, Arc::clone(&table));
        ordered.push(table);
    }
    state.tables = tables;
    Snapshot::new(searcher, ordered, state.interners.clone())
}

/// Removes everything in the index's folder (the folder itself stays).
fn wipe(dir: &Path) -> Result<()> {
    let entries = fs::read_dir(dir).map_err(|source| io_error(dir, source))?;
    for entry in entries {
        let path = entry.map_err(|source| io_error(dir, source))?.path();
        let removed = if path.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        removed.map_err(|source| io_error(&path, source))?;
    }
    Ok(())
}

fn io_error(path: &Path, source: std::io::Error) -> SearchError {
    SearchError::Io {
        path: path.to_owned(),
        source,
    }
}
