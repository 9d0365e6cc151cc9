//! The JSON-lines event log: one [`cs_core::Envelope`] per line.
//!
//! # Format
//!
//! Every line is the compact JSON of `Envelope::new(event)` followed by `'\n'`:
//!
//! ```text
//! {"v":2,"type":"TicketCreated","at":1795424410000,"ticket":0,"spec":{...}}
//! ```
//!
//! `"type"` is the event's stable name and `"v"` the event schema version it was written
//! with. Lines are in non-decreasing time order (`"at"`, milliseconds since the epoch).
//! Blank lines are skipped; nothing else is.
//!
//! # Reading
//!
//! [`JsonlReader`] decodes line by line. A line at the current schema version, laid out as
//! the writer lays it out, is decoded straight from its bytes in one parse; any other line
//! is parsed into a `serde_json::Value` first, its version checked and, if it is older than
//! [`EVENT_SCHEMA_VERSION`], rewritten by [`upcast`] before it is decoded as an [`Event`].
//! Errors name the file (when known), the 1-based line and what is wrong; the reader stops
//! at the first one.
//!
//! A crash in the middle of a write leaves a last line without its `'\n'` that does not
//! parse: a **torn tail**. It is reported as [`LogError::TornTail`], never decoded and never
//! skipped silently. [`read_all_tolerant`] (or [`JsonlReader::read_tolerant`]) returns the
//! complete events before it together with the fact that the tail was torn, so a caller
//! can recover what was acknowledged and decide what to do with the torn bytes (for
//! example truncate the file at [`TornTail::offset`]).
//!
//! # What the disk is assumed to do
//!
//! A line is handed to the writer in one `write_all`, so a crash can tear at most the last
//! line; [`JsonlWriter::sync`] flushes and calls `fsync` before an event may be
//! acknowledged. A log whose middle was damaged (a bad line followed by more lines) is not
//! a torn tail: it is refused as corrupt, naming the line.

use cs_core::Event;
use cs_core::event::EVENT_SCHEMA_VERSION;
use cs_core::time::Timestamp;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// The longest line a reader accepts, in bytes (without its newline). A configuration
/// event is the largest and stays far below; a longer line means the file is not a log.
pub const LINE_BYTES_MAX: usize = 16 * 1024 * 1024;

use crate::codec::DecodeError;
pub use crate::codec::{UpcastError, upcast};

// ---------------------------------------------------------------------------------------
// Errors.
// ---------------------------------------------------------------------------------------

/// What can go wrong reading or writing a JSON-lines event log.
///
/// Every variant about a line names the file (when known) and the 1-based line number; the
/// message starts with `FILE:LINE:` (or `line N:` when the log has no file name).
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The file could not be opened, read or written.
    #[error("{}: {error}", file_label(.file))]
    Io {
        /// The file, if known.
        file: Option<PathBuf>,
        /// What the operating system said (shown in the message, so not also a `source`:
        /// a chain printed in full would say it twice).
        error: io::Error,
    },
    /// A complete line (ending in a newline, or followed by more lines) is not valid JSON.
    #[error("{}: not valid JSON: {reason}", place(.file, *.line))]
    BadJson {
        /// The file, if known.
        file: Option<PathBuf>,
        /// 1-based line number.
        line: u64,
        /// What the JSON parser said.
        reason: String,
    },
    /// A line is JSON but not an event record (not an object, no `"v"` or `"type"`).
    #[error("{}: not an event record: {reason}", place(.file, *.line))]
    BadRecord {
        /// The file, if known.
        file: Option<PathBuf>,
        /// 1-based line number.
        line: u64,
        /// What is missing or malformed.
        reason: String,
    },
    /// A line was written by a newer event schema than this build reads.
    #[error(
        "{}: event schema version v={v} is newer than this build reads (up to v={supported}); upgrade cs to read this log",
        place(.file, *.line)
    )]
    UnsupportedVersion {
        /// The file, if known.
        file: Option<PathBuf>,
        /// 1-based line number.
        line: u64,
        /// The version found.
        v: u64,
        /// The newest version this build reads ([`EVENT_SCHEMA_VERSION`]).
        supported: u16,
    },
    /// A line of an older schema version could not be upcast to the current one.
    #[error("{}: {error}", place(.file, *.line))]
    Upcast {
        /// The file, if known.
        file: Option<PathBuf>,
        /// 1-based line number.
        line: u64,
        /// Why (shown in the message, so not also a `source`).
        error: UpcastError,
    },
    /// A line names an event type this build does not know.
    #[error(
        "{}: unknown event type {type_name:?} (schema version v={v}); this build reads event schema up to v={}",
        place(.file, *.line),
        EVENT_SCHEMA_VERSION
    )]
    UnknownType {
        /// The file, if known.
        file: Option<PathBuf>,
        /// 1-based line number.
        line: u64,
        /// The type found.
        type_name: String,
        /// The line's schema version.
        v: u16,
    },
    /// A line of a known type has missing or malformed fields.
    #[error("{}: bad {type_name} event: {reason}", place(.file, *.line))]
    BadEvent {
        /// The file, if known.
        file: Option<PathBuf>,
        /// 1-based line number.
        line: u64,
        /// The event type.
        type_name: String,
        /// What the decoder said.
        reason: String,
    },
    /// An event is earlier than the one before it: logs are in time order.
    #[error(
        "{}: event at {at} ({} ms) goes back in time from the previous event at {previous} ({} ms); a log must be in time order",
        place(.file, *.line),
        .at.ms(),
        .previous.ms()
    )]
    TimeWentBack {
        /// The file, if known.
        file: Option<PathBuf>,
        /// 1-based line number.
        line: u64,
        /// The offending event's time.
        at: Timestamp,
        /// The time of the event before it.
        previous: Timestamp,
    },
    /// The last line has no newline and does not parse: a write was cut short by a crash.
    #[error(
        "{}: torn last line ({bytes} bytes at byte offset {offset}, no final newline): a write was cut short; the events before it are complete",
        place(.file, *.line)
    )]
    TornTail {
        /// The file, if known.
        file: Option<PathBuf>,
        /// 1-based line number of the torn line.
        line: u64,
        /// Byte offset where the torn line starts (the length of the complete part).
        offset: u64,
        /// Length of the torn line in bytes.
        bytes: u64,
    },
    /// A line is longer than [`LINE_BYTES_MAX`].
    #[error("{}: line longer than {max_bytes} bytes; this is not an event log", place(.file, *.line))]
    LineTooLong {
        /// The file, if known.
        file: Option<PathBuf>,
        /// 1-based line number.
        line: u64,
        /// The limit.
        max_bytes: usize,
    },
    /// An event could not be encoded (never expected: every event serialises).
    #[error("{}: cannot encode {type_name} event: {reason}", place(.file, *.line))]
    Encode {
        /// The file, if known.
        file: Option<PathBuf>,
        /// The line it would have been.
        line: u64,
        /// The event type.
        type_name: &'static str,
        /// What the encoder said.
        reason: String,
    },
}

impl LogError {
    /// The 1-based line the error is about, if it is about a line.
    pub fn line(&self) -> Option<u64> {
        match self {
            LogError::Io { .. } => None,
            LogError::BadJson { line, .. }
            | LogError::BadRecord { line, .. }
            | LogError::UnsupportedVersion { line, .. }
            | LogError::Upcast { line, .. }
            | LogError::UnknownType { line, .. }
            | LogError::BadEvent { line, .. }
            | LogError::TimeWentBack { line, .. }
            | LogError::TornTail { line, .. }
            | LogError::LineTooLong { line, .. }
            | LogError::Encode { line, .. } => Some(*line),
        }
    }

    /// The file the error is about, if known.
    pub fn file(&self) -> Option<&Path> {
        match self {
            LogError::Io { file, .. }
            | LogError::BadJson { file, .. }
            | LogError::BadRecord { file, .. }
            | LogError::UnsupportedVersion { file, .. }
            | LogError::Upcast { file, .. }
            | LogError::UnknownType { file, .. }
            | LogError::BadEvent { file, .. }
            | LogError::TimeWentBack { file, .. }
            | LogError::TornTail { file, .. }
            | LogError::LineTooLong { file, .. }
            | LogError::Encode { file, .. } => file.as_deref(),
        }
    }

    fn with_file(mut self, path: &Path) -> LogError {
        match &mut self {
            LogError::Io { file, .. }
            | LogError::BadJson { file, .. }
            | LogError::BadRecord { file, .. }
            | LogError::UnsupportedVersion { file, .. }
            | LogError::Upcast { file, .. }
            | LogError::UnknownType { file, .. }
            | LogError::BadEvent { file, .. }
            | LogError::TimeWentBack { file, .. }
            | LogError::TornTail { file, .. }
            | LogError::LineTooLong { file, .. }
            | LogError::Encode { file, .. } => *file = Some(path.to_path_buf()),
        }
        self
    }
}

fn file_label(file: &Option<PathBuf>) -> String {
    file.as_ref().map_or_else(|| "event log".to_owned(), |f| f.display().to_string())
}

fn place(file: &Option<PathBuf>, line: u64) -> String {
    match file {
        Some(f) => format!("{}:{line}", f.display()),
        None => format!("line {line}"),
    }
}

fn io_error(file: Option<&Path>, error: io::Error) -> LogError {
    LogError::Io { file: file.map(Path::to_path_buf), error }
}

/// Decodes one line (without its newline) into an event, upcasting it if needed.
fn decode_line(bytes: &[u8], line: u64) -> Result<Event, LogError> {
    crate::codec::decode_record(bytes).map_err(|e| at_line(e, line))
}

/// A decoding error as the error of a line of a log.
fn at_line(e: DecodeError, line: u64) -> LogError {
    let file = None;
    match e {
        DecodeError::BadJson(reason) => LogError::BadJson { file, line, reason },
        DecodeError::BadRecord(reason) => LogError::BadRecord { file, line, reason },
        DecodeError::UnsupportedVersion { v } => {
            LogError::UnsupportedVersion { file, line, v, supported: EVENT_SCHEMA_VERSION }
        }
        DecodeError::Upcast(error) => LogError::Upcast { file, line, error },
        DecodeError::UnknownType { type_name, v } => LogError::UnknownType { file, line, type_name, v },
        DecodeError::BadEvent { type_name, reason } => LogError::BadEvent { file, line, type_name, reason },
    }
}

// ---------------------------------------------------------------------------------------
// Reading.
// ---------------------------------------------------------------------------------------

/// Reads events from a JSON-lines log, one `Result` per non-blank line.
///
/// The reader stops after the first error (the iterator then ends). Errors carry the file
/// name when the reader was built by [`JsonlReader::open`] or given one with
/// [`JsonlReader::with_file`].
#[derive(Debug)]
pub struct JsonlReader<R> {
    inner: R,
    file: Option<PathBuf>,
    line: u64,
    offset: u64,
    last_at: Option<Timestamp>,
    buf: Vec<u8>,
    done: bool,
}

impl<R: BufRead> JsonlReader<R> {
    /// A reader over any buffered input.
    pub fn new(inner: R) -> JsonlReader<R> {
        JsonlReader { inner, file: None, line: 0, offset: 0, last_at: None, buf: Vec::new(), done: false }
    }

    /// Names the file in errors.
    pub fn with_file(mut self, path: impl Into<PathBuf>) -> JsonlReader<R> {
        self.file = Some(path.into());
        self
    }

    /// Lines read so far (the 1-based number of the last line read).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Bytes read so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Reads every event, treating a torn last line as a recoverable fact rather than an
    /// error: returns the complete events before it and where it is.
    ///
    /// # Errors
    /// Every other [`LogError`]: a bad line that is not a torn tail is corruption, and
    /// nothing after it can be trusted.
    pub fn read_tolerant(self) -> Result<Recovered, LogError> {
        let mut events = Vec::new();
        for item in self {
            match item {
                Ok(e) => events.push(e),
                Err(LogError::TornTail { line, offset, bytes, .. }) => {
                    return Ok(Recovered { events, torn_tail: Some(TornTail { line, offset, bytes }) });
                }
                Err(e) => return Err(e),
            }
        }
        Ok(Recovered { events, torn_tail: None })
    }

    fn fail(&mut self, e: LogError) -> Option<Result<Event, LogError>> {
        self.done = true;
        Some(Err(match &self.file {
            Some(f) => e.with_file(f),
            None => e,
        }))
    }
}

impl JsonlReader<BufReader<File>> {
    /// Opens a log file for reading.
    ///
    /// # Errors
    /// [`LogError::Io`] naming the file.
    pub fn open(path: impl AsRef<Path>) -> Result<JsonlReader<BufReader<File>>, LogError> {
        let path = path.as_ref();
        let f = File::open(path).map_err(|e| io_error(Some(path), e))?;
        Ok(JsonlReader::new(BufReader::with_capacity(1 << 16, f)).with_file(path))
    }
}

impl<R: BufRead> Iterator for JsonlReader<R> {
    type Item = Result<Event, LogError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            self.buf.clear();
            let start = self.offset;
            let limit = LINE_BYTES_MAX as u64 + 1;
            let n = match (&mut self.inner).take(limit).read_until(b'\n', &mut self.buf) {
                Ok(n) => n,
                Err(e) => {
                    let e = io_error(None, e);
                    return self.fail(e);
                }
            };
            if n == 0 {
                self.done = true;
                return None;
            }
            self.line += 1;
            self.offset += n as u64;
            let line = self.line;
            let newline = self.buf.last() == Some(&b'\n');
            let mut body = &self.buf[..];
            if newline {
                body = &body[..body.len() - 1];
            }
            if body.len() > LINE_BYTES_MAX {
                return self.fail(LogError::LineTooLong { file: None, line, max_bytes: LINE_BYTES_MAX });
            }
            if body.last() == Some(&b'\r') {
                body = &body[..body.len() - 1];
            }
            // A byte-order mark at the start of the file (as some editors and Windows tools
            // write): UTF-8 needs none, and the TOML reader skips it too.
            if line == 1 {
                body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
            }
            if body.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let event = match decode_line(body, line) {
                Ok(e) => e,
                // Only the very last line can be torn, and only if it is not even JSON: a
                // complete record that fails later checks is corrupt, not torn.
                Err(LogError::BadJson { .. }) if !newline => {
                    return self.fail(LogError::TornTail { file: None, line, offset: start, bytes: n as u64 });
                }
                Err(e) => return self.fail(e),
            };
            let at = event.at();
            if let Some(previous) = self.last_at
                && at < previous
            {
                return self.fail(LogError::TimeWentBack { file: None, line, at, previous });
            }
            self.last_at = Some(at);
            return Some(Ok(event));
        }
    }
}

/// Where a torn last line was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TornTail {
    /// 1-based line number of the torn line.
    pub line: u64,
    /// Byte offset where it starts: the length of the complete part of the file.
    pub offset: u64,
    /// Its length in bytes.
    pub bytes: u64,
}

/// The complete events of a log and whether its last line was torn.
#[derive(Clone, Debug, PartialEq)]
pub struct Recovered {
    /// Every complete event, in order.
    pub events: Vec<Event>,
    /// The torn last line, if there was one (its bytes are not in `events`).
    pub torn_tail: Option<TornTail>,
}

/// Reads every event of a log file.
///
/// # Errors
/// Any [`LogError`], including [`LogError::TornTail`]; use [`read_all_tolerant`] to recover
/// the complete part of a log whose last write was cut short.
pub fn read_all(path: impl AsRef<Path>) -> Result<Vec<Event>, LogError> {
    JsonlReader::open(path)?.collect()
}

/// Reads every complete event of a log file and reports a torn last line instead of
/// failing on it.
///
/// # Errors
/// Any [`LogError`] other than a torn tail.
pub fn read_all_tolerant(path: impl AsRef<Path>) -> Result<Recovered, LogError> {
    JsonlReader::open(path)?.read_tolerant()
}

/// The 1-based line of a log file holding its event number `index` (from 0; blank lines
/// hold none), to point at an event found wrong after reading; `None` if the file has fewer
/// events or cannot be read again.
pub fn line_of_event(path: impl AsRef<Path>, index: usize) -> Option<u64> {
    let mut reader = JsonlReader::open(path).ok()?;
    for _ in 0..=index {
        reader.next()?.ok()?;
    }
    Some(reader.line())
}

// ---------------------------------------------------------------------------------------
// Writing.
// ---------------------------------------------------------------------------------------

/// Appends events to a JSON-lines log, one line each.
///
/// Each line is encoded whole and handed to the underlying writer in one `write_all`, so a
/// crash tears at most the last line. Events must come in non-decreasing time order; one
/// going back in time is refused before anything is written. After an I/O error the log
/// may end with a torn line: drop the writer, and read the log back tolerantly.
#[derive(Debug)]
pub struct JsonlWriter<W: Write> {
    inner: W,
    file: Option<PathBuf>,
    lines: u64,
    last_at: Option<Timestamp>,
    buf: Vec<u8>,
}

impl<W: Write> JsonlWriter<W> {
    /// A writer over any output.
    pub fn new(inner: W) -> JsonlWriter<W> {
        JsonlWriter { inner, file: None, lines: 0, last_at: None, buf: Vec::new() }
    }

    /// Names the file in errors.
    pub fn with_file(mut self, path: impl Into<PathBuf>) -> JsonlWriter<W> {
        self.file = Some(path.into());
        self
    }

    /// Appends one event as one line.
    ///
    /// # Errors
    /// [`LogError::TimeWentBack`] (nothing written) or [`LogError::Io`].
    pub fn append(&mut self, event: &Event) -> Result<(), LogError> {
        let line = self.lines + 1;
        let at = event.at();
        if let Some(previous) = self.last_at
            && at < previous
        {
            return Err(LogError::TimeWentBack { file: self.file.clone(), line, at, previous });
        }
        self.buf.clear();
        serde_json::to_writer(&mut self.buf, &cs_core::Envelope::new(event.clone())).map_err(|e| LogError::Encode {
            file: self.file.clone(),
            line,
            type_name: event.name(),
            reason: e.to_string(),
        })?;
        self.buf.push(b'\n');
        self.inner.write_all(&self.buf).map_err(|e| io_error(self.file.as_deref(), e))?;
        self.lines = line;
        self.last_at = Some(at);
        Ok(())
    }

    /// Appends events in order.
    ///
    /// # Errors
    /// As [`JsonlWriter::append`]; events before the failing one are written.
    pub fn append_all<'a>(&mut self, events: impl IntoIterator<Item = &'a Event>) -> Result<(), LogError> {
        events.into_iter().try_for_each(|e| self.append(e))
    }

    /// Flushes buffered lines to the underlying writer.
    ///
    /// # Errors
    /// [`LogError::Io`].
    pub fn flush(&mut self) -> Result<(), LogError> {
        self.inner.flush().map_err(|e| io_error(self.file.as_deref(), e))
    }

    /// Lines written so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// The underlying writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// Gives the underlying writer back (unflushed lines stay in it).
    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl JsonlWriter<BufWriter<File>> {
    /// Creates (or truncates) a log file.
    ///
    /// # Errors
    /// [`LogError::Io`] naming the file.
    pub fn create(path: impl AsRef<Path>) -> Result<JsonlWriter<BufWriter<File>>, LogError> {
        let path = path.as_ref();
        let f = File::create(path).map_err(|e| io_error(Some(path), e))?;
        Ok(JsonlWriter::new(BufWriter::with_capacity(1 << 16, f)).with_file(path))
    }

    /// Opens a log to append to it, creating it if it does not exist.
    ///
    /// The log is read back first, every line checked as [`JsonlReader`] checks it, so the
    /// writer continues after the last complete event (its time is the floor for the next
    /// one). A torn last line, left by a crash in the middle of a write, is cut off and
    /// reported in [`Reopened::torn_tail`]: its event was never complete, so it was never
    /// acknowledged. Any other damage is refused and the file is left as it is.
    ///
    /// # Errors
    /// [`LogError::Io`] naming the file, or the first bad line.
    pub fn open_append(path: impl AsRef<Path>) -> Result<(JsonlWriter<BufWriter<File>>, Reopened), LogError> {
        let path = path.as_ref();
        let mut reopened = Reopened { events: 0, last_at: None, torn_tail: None };
        let mut lines = 0;
        match JsonlReader::open(path) {
            Ok(mut reader) => {
                for item in reader.by_ref() {
                    match item {
                        Ok(e) => {
                            reopened.events += 1;
                            reopened.last_at = Some(e.at());
                        }
                        Err(LogError::TornTail { line, offset, bytes, .. }) => {
                            reopened.torn_tail = Some(TornTail { line, offset, bytes });
                            break;
                        }
                        Err(e) => return Err(e),
                    }
                }
                lines = reader.line() - u64::from(reopened.torn_tail.is_some());
            }
            Err(LogError::Io { error, .. }) if error.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let f =
            std::fs::OpenOptions::new().create(true).append(true).open(path).map_err(|e| io_error(Some(path), e))?;
        if let Some(torn) = reopened.torn_tail {
            f.set_len(torn.offset).map_err(|e| io_error(Some(path), e))?;
            f.sync_all().map_err(|e| io_error(Some(path), e))?;
        }
        let mut w = JsonlWriter::new(BufWriter::with_capacity(1 << 16, f)).with_file(path);
        w.lines = lines;
        w.last_at = reopened.last_at;
        Ok((w, reopened))
    }

    /// Flushes and asks the operating system to put the lines on disk (`fsync`): after this
    /// returns, the events written so far survive a crash and may be acknowledged.
    ///
    /// # Errors
    /// [`LogError::Io`].
    pub fn sync(&mut self) -> Result<(), LogError> {
        self.flush()?;
        self.inner.get_ref().sync_all().map_err(|e| io_error(self.file.as_deref(), e))
    }
}

/// What [`JsonlWriter::open_append`] found in the log it reopened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reopened {
    /// Complete events already in the log.
    pub events: u64,
    /// The time of the last of them.
    pub last_at: Option<Timestamp>,
    /// The torn last line that was cut off, if there was one.
    pub torn_tail: Option<TornTail>,
}

/// Writes a whole log file (created or truncated) and syncs it.
///
/// # Errors
/// As [`JsonlWriter::create`], [`JsonlWriter::append`] and [`JsonlWriter::sync`].
pub fn write_all<'a>(path: impl AsRef<Path>, events: impl IntoIterator<Item = &'a Event>) -> Result<(), LogError> {
    let mut w = JsonlWriter::create(path)?;
    w.append_all(events)?;
    w.sync()
}

impl fmt::Display for TornTail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {} ({} bytes at byte offset {}) is torn", self.line, self.bytes, self.offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_file_and_line() {
        let e = LogError::BadJson { file: Some("x.jsonl".into()), line: 3, reason: "eof".into() };
        assert_eq!(e.to_string(), "x.jsonl:3: not valid JSON: eof");
        let e = LogError::BadJson { file: None, line: 3, reason: "eof".into() };
        assert_eq!(e.to_string(), "line 3: not valid JSON: eof");
        assert_eq!(e.line(), Some(3));
    }

    #[test]
    fn blank_lines_and_crlf_are_accepted() {
        let text = "\n{\"v\":1,\"type\":\"TicketResolved\",\"at\":5,\"ticket\":0}\r\n  \n";
        let events: Vec<Event> = JsonlReader::new(text.as_bytes()).collect::<Result<_, _>>().unwrap();
        assert_eq!(events.len(), 1);
    }
}
