//! Events to bytes and back, the same way for every store: the JSON-lines log, SQLite and
//! PostgreSQL.
//!
//! An event is stored as the JSON of [`cs_core::Event`] (tagged by `"type"`, with its time
//! `"at"`) together with the schema version `v` it was written with: inside the object in
//! a JSON-lines record ([`cs_core::Envelope`]), in a column of its own in a database. Every
//! read goes through [`upcast`], so a log written by an older schema version is brought to
//! the current one, one version at a time, before it is decoded.

use cs_core::Event;
use cs_core::event::EVENT_SCHEMA_VERSION;
use serde_json::Value;

/// The oldest event schema version a log may have been written with.
pub const FIRST_SCHEMA_VERSION: u16 = 1;

/// Why bytes are not an event. A store adds where they were (a line, a sequence number).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Not valid JSON.
    #[error("not valid JSON: {0}")]
    BadJson(String),
    /// JSON, but not an event record (not an object, no `"v"` or `"type"`).
    #[error("not an event record: {0}")]
    BadRecord(String),
    /// Written by a newer event schema than this build reads.
    #[error(
        "event schema version v={v} is newer than this build reads (up to v={EVENT_SCHEMA_VERSION}); upgrade cs to read this log"
    )]
    UnsupportedVersion {
        /// The version found.
        v: u64,
    },
    /// An older schema version that could not be upcast.
    #[error("{0}")]
    Upcast(UpcastError),
    /// An event type this build does not know.
    #[error(
        "unknown event type {type_name:?} (schema version v={v}); this build reads event schema up to v={EVENT_SCHEMA_VERSION}"
    )]
    UnknownType {
        /// The type found.
        type_name: String,
        /// The record's schema version.
        v: u16,
    },
    /// A known type with missing or malformed fields.
    #[error("bad {type_name} event: {reason}")]
    BadEvent {
        /// The event type.
        type_name: String,
        /// What the decoder said.
        reason: String,
    },
}

/// Why an event could not be brought to the current schema version.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UpcastError {
    /// Written by a newer schema than this build knows.
    #[error("event schema version v={v} is newer than this build reads (up to v={supported})")]
    Future {
        /// The version found.
        v: u16,
        /// The newest version this build reads.
        supported: u16,
    },
    /// Older than the first schema version there ever was.
    #[error("event schema version v={v} never existed (the first is v={first})")]
    NeverExisted {
        /// The version found.
        v: u16,
        /// The first version.
        first: u16,
    },
    /// An upcaster refused the event.
    #[error("cannot upcast {type_name} event from v={from} to v={}: {reason}", .from + 1)]
    Failed {
        /// The event type at the failing step.
        type_name: String,
        /// The version the failing step reads.
        from: u16,
        /// Why.
        reason: String,
    },
}

/// One upcasting step: rewrites the JSON of an event of a given type written at version
/// `n` into its form at version `n + 1` (it may change the `"type"` too).
type Upcaster = fn(Value) -> Result<Value, String>;

/// Upcasters by (event type, version they read).
///
/// When a version `n + 1` changes the shape of an event type, add
/// `("ThatType", n, that_type_vn_to_vn1)` here and keep a log written by version `n` under
/// `tests/golden/`. Event types that a version leaves alone need no entry: a step without
/// an upcaster passes the event through unchanged.
const UPCASTERS: &[(&str, u16, Upcaster)] = &[("SlaBreached", 1, sla_breached_v1_to_v2)];

/// v2 names the deadline a breach missed; in v1 a breach fired exactly at it, so it is
/// the event's own time.
fn sla_breached_v1_to_v2(mut value: Value) -> Result<Value, String> {
    let at = value.get("at").cloned().ok_or("no \"at\"")?;
    if !at.is_i64() {
        return Err(format!("\"at\" is {at}, not a time in ms"));
    }
    value.as_object_mut().ok_or("not an object")?.insert("deadline".to_owned(), at);
    Ok(value)
}

/// Brings the JSON of one event (without its `"v"`) from schema version `v` to
/// [`EVENT_SCHEMA_VERSION`], one version at a time.
///
/// The current version passes through unchanged. Versions newer than this build, or older
/// than the first version, are refused; so is an event an upcaster cannot rewrite.
pub fn upcast(v: u16, value: Value) -> Result<Value, UpcastError> {
    if v > EVENT_SCHEMA_VERSION {
        return Err(UpcastError::Future { v, supported: EVENT_SCHEMA_VERSION });
    }
    if v < FIRST_SCHEMA_VERSION {
        return Err(UpcastError::NeverExisted { v, first: FIRST_SCHEMA_VERSION });
    }
    let mut value = value;
    for from in v..EVENT_SCHEMA_VERSION {
        let type_name = value.get("type").and_then(Value::as_str).unwrap_or_default().to_owned();
        if let Some((_, _, step)) = UPCASTERS.iter().find(|(t, n, _)| *t == type_name && *n == from) {
            value = step(value).map_err(|reason| UpcastError::Failed { type_name, from, reason })?;
        }
    }
    Ok(value)
}

/// Decodes one JSON-lines record: an event object with its schema version `"v"` inside.
pub fn decode_record(bytes: &[u8]) -> Result<Event, DecodeError> {
    // Nearly every record is at the current version, laid out as the writer lays it out:
    // decode it straight from its bytes, in one parse (the event ignores the `"v"` beside
    // it), and go through the generic value only to upcast an older record or to say
    // precisely what is wrong with a bad one.
    if leading_version(bytes) == Some(EVENT_SCHEMA_VERSION)
        && let Ok(event) = serde_json::from_slice::<Event>(bytes)
    {
        return Ok(event);
    }
    let mut value: Value = serde_json::from_slice(bytes).map_err(|e| DecodeError::BadJson(e.to_string()))?;
    let Some(object) = value.as_object_mut() else {
        return Err(DecodeError::BadRecord(format!("expected a JSON object, found {}", kind_of(&value))));
    };
    let v = match object.remove("v") {
        None => return Err(DecodeError::BadRecord("no schema version \"v\"".to_owned())),
        Some(Value::Number(n)) if n.as_u64().is_some() => n.as_u64().unwrap_or_default(),
        Some(other) => {
            return Err(DecodeError::BadRecord(format!("schema version \"v\" is {other}, not a whole number")));
        }
    };
    let v = match u16::try_from(v) {
        Ok(v) if v <= EVENT_SCHEMA_VERSION => v,
        _ => return Err(DecodeError::UnsupportedVersion { v }),
    };
    decode_value(v, value)
}

/// The schema version of a record that starts as [`cs_core::Envelope`] is written (`{"v":N,`),
/// read from its first bytes; `None` for any other layout (which the full parse handles).
fn leading_version(bytes: &[u8]) -> Option<u16> {
    let rest = bytes.strip_prefix(br#"{"v":"#)?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if !(1..=5).contains(&digits) || rest.get(digits) != Some(&b',') {
        return None;
    }
    std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()
}

/// Decodes the JSON of one event (without `"v"`) written at schema version `v`, as a
/// database row holds it.
pub fn decode_event(v: u16, json: &str) -> Result<Event, DecodeError> {
    // Nearly every stored event is at the current version: decode it in one pass, and go
    // through the generic value only to upcast or to say precisely what is wrong.
    if v == EVENT_SCHEMA_VERSION
        && let Ok(event) = serde_json::from_str::<Event>(json)
    {
        return Ok(event);
    }
    if v > EVENT_SCHEMA_VERSION {
        return Err(DecodeError::UnsupportedVersion { v: u64::from(v) });
    }
    let value: Value = serde_json::from_str(json).map_err(|e| DecodeError::BadJson(e.to_string()))?;
    if !value.is_object() {
        return Err(DecodeError::BadRecord(format!("expected a JSON object, found {}", kind_of(&value))));
    }
    decode_value(v, value)
}

/// Decodes an event object (without `"v"`) written at version `v`.
fn decode_value(v: u16, value: Value) -> Result<Event, DecodeError> {
    match value.get("type") {
        Some(Value::String(_)) => {}
        None => return Err(DecodeError::BadRecord("no event \"type\"".to_owned())),
        Some(other) => return Err(DecodeError::BadRecord(format!("event \"type\" is {other}, not a string"))),
    }
    let value = upcast(v, value).map_err(DecodeError::Upcast)?;
    // The tag is checked against the types this build knows before the fields are decoded:
    // a type an upcaster left unknown is a newer or foreign event, not a malformed one.
    let type_name = value.get("type").and_then(Value::as_str).unwrap_or_default().to_owned();
    if !Event::is_type_name(&type_name) {
        return Err(DecodeError::UnknownType { type_name, v });
    }
    serde_json::from_value::<Event>(value).map_err(|e| DecodeError::BadEvent { type_name, reason: e.to_string() })
}

/// The JSON of an event as stored (tagged by `"type"`, without `"v"`: the current
/// [`EVENT_SCHEMA_VERSION`] is stored beside it).
pub fn encode_event(event: &Event) -> String {
    // Every event serialises: its fields are plain data, maps have string keys, and
    // numbers are integers or finite floats that the config refused otherwise.
    serde_json::to_string(event).unwrap_or_else(|e| panic!("{} event does not serialise: {e}", event.name()))
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cs_core::Envelope;

    #[test]
    fn current_version_passes_through_and_others_are_refused() {
        let v = serde_json::json!({"type": "TicketResolved", "at": 1, "ticket": 0});
        assert_eq!(upcast(EVENT_SCHEMA_VERSION, v.clone()).unwrap(), v);
        let future = upcast(EVENT_SCHEMA_VERSION + 1, v.clone()).unwrap_err();
        assert!(future.to_string().contains(&format!("v={}", EVENT_SCHEMA_VERSION + 1)), "{future}");
        assert!(matches!(upcast(0, v).unwrap_err(), UpcastError::NeverExisted { v: 0, .. }));
    }

    #[test]
    fn stored_events_decode_on_both_paths_and_errors_say_what_is_wrong() {
        let json = r#"{"type":"TicketResolved","at":5,"ticket":0}"#;
        let e = decode_event(EVENT_SCHEMA_VERSION, json).unwrap();
        assert_eq!(decode_event(EVENT_SCHEMA_VERSION, &encode_event(&e)).unwrap(), e);
        let unknown = decode_event(EVENT_SCHEMA_VERSION, r#"{"type":"TicketFaxed","at":5}"#).unwrap_err();
        assert!(
            matches!(unknown, DecodeError::UnknownType { ref type_name, .. } if type_name == "TicketFaxed"),
            "{unknown}"
        );
        let bad =
            decode_event(EVENT_SCHEMA_VERSION, r#"{"type":"TicketResolved","at":"soon","ticket":0}"#).unwrap_err();
        assert!(matches!(bad, DecodeError::BadEvent { .. }), "{bad}");
        assert!(matches!(decode_event(EVENT_SCHEMA_VERSION, "[1]").unwrap_err(), DecodeError::BadRecord(_)));
        assert!(matches!(
            decode_event(EVENT_SCHEMA_VERSION + 1, json).unwrap_err(),
            DecodeError::UnsupportedVersion { .. }
        ));
    }

    #[test]
    fn records_decode_in_one_parse_and_unknown_types_are_told_by_their_tag() {
        let current = format!(r#"{{"v":{EVENT_SCHEMA_VERSION},"type":"TicketResolved","at":5,"ticket":0}}"#);
        let e = decode_record(current.as_bytes()).unwrap();
        assert_eq!(e, Event::TicketResolved { at: cs_core::Timestamp::from_ms(5), ticket: cs_core::TicketId(0) });
        // The record the writer makes reads back on the one-parse path.
        let written = serde_json::to_vec(&Envelope::new(e.clone())).unwrap();
        assert_eq!(leading_version(&written), Some(EVENT_SCHEMA_VERSION));
        assert_eq!(decode_record(&written).unwrap(), e);
        // Laid out otherwise, or with a version written oddly, it takes the full parse.
        assert_eq!(leading_version(br#"{"type":"TicketResolved","v":2}"#), None);
        assert_eq!(leading_version(br#"{"v":2.0,"type":"TicketResolved"}"#), None);
        let later = format!(r#"{{"type":"TicketResolved","at":5,"ticket":0,"v":{EVENT_SCHEMA_VERSION}}}"#);
        assert_eq!(decode_record(later.as_bytes()).unwrap(), e);
        let zero = format!(r#"{{"v":0{EVENT_SCHEMA_VERSION},"type":"TicketResolved","at":5,"ticket":0}}"#);
        assert!(matches!(decode_record(zero.as_bytes()), Err(DecodeError::BadJson(_))));
        // An older record takes the upcasting path.
        let v1 = br#"{"v":1,"type":"SlaBreached","at":7,"ticket":0,"policy":0,"clock":"first_response"}"#;
        match decode_record(v1) {
            Ok(Event::SlaBreached { deadline, .. }) => assert_eq!(deadline, cs_core::Timestamp::from_ms(7)),
            other => panic!("{other:?}"),
        }
        // A type this build does not know, at the current version and at an older one.
        for v in [1, EVENT_SCHEMA_VERSION] {
            let unknown = format!(r#"{{"v":{v},"type":"TicketFaxed","at":5}}"#);
            assert_eq!(
                decode_record(unknown.as_bytes()),
                Err(DecodeError::UnknownType { type_name: "TicketFaxed".to_owned(), v })
            );
        }
        // A known type whose field holds an unknown variant (a tier "platinum") is a bad event, not an unknown one.
        let fax = format!(
            r#"{{"v":{EVENT_SCHEMA_VERSION},"type":"TicketUpdated","at":5,"ticket":0,"tier":"platinum","urgency":"low","emotion":"calm"}}"#
        );
        let bad = decode_record(fax.as_bytes()).unwrap_err();
        assert!(matches!(bad, DecodeError::BadEvent { ref type_name, .. } if type_name == "TicketUpdated"), "{bad}");
    }
}
