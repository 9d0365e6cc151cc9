//! The supervisor's dashboard at `/`: one page of plain HTML, CSS and JavaScript served by
//! the binary (no CDN, no external font), which asks for the tenant's token once (or takes
//! it from the URL fragment `#token=...`), keeps it in the page's session storage, reads
//! `/v1/queues`, `/v1/agents` and `/v1/config`, and updates live from `/v1/events`.
//!
//! The page is served with a strict Content-Security-Policy: it may only talk to this
//! server, and the only script that runs is its own inline one, allowed by its SHA-256
//! (computed here from the page itself, so editing the page cannot break the policy). The
//! page puts everything from the API on screen as text; the policy is the second wall.

use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use sha2::Digest;
use std::sync::LazyLock;

const PAGE: &str = include_str!("../assets/dashboard.html");

/// The policy the page is served with.
static POLICY: LazyLock<HeaderValue> = LazyLock::new(|| {
    HeaderValue::from_str(&policy(PAGE)).expect("a policy of ASCII keywords and base64 is a valid header value")
});

/// `GET /`.
pub async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (HeaderName::from_static("content-security-policy"), POLICY.clone()),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        ],
        PAGE,
    )
        .into_response()
}

/// The Content-Security-Policy for a page: nothing by default; requests (`fetch`) to this
/// origin only; the page's own inline scripts by hash; inline styles; `data:` images (the
/// empty favicon); no `<base>`, no form posts, and no framing by other sites.
fn policy(page: &str) -> String {
    let scripts: Vec<String> =
        inline_scripts(page).map(|s| format!("'sha256-{}'", base64(&sha2::Sha256::digest(s.as_bytes())))).collect();
    format!(
        "default-src 'none'; connect-src 'self'; script-src {}; style-src 'unsafe-inline'; img-src data:; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'self'",
        if scripts.is_empty() { "'none'".to_owned() } else { scripts.join(" ") }
    )
}

/// The text of each `<script>...</script>` element without attributes, as the browser hashes it.
fn inline_scripts(page: &str) -> impl Iterator<Item = &str> {
    let mut rest = page;
    std::iter::from_fn(move || {
        let start = rest.find("<script>")? + "<script>".len();
        let len = rest[start..].find("</script>")?;
        let script = &rest[start..start + len];
        rest = &rest[start + len..];
        Some(script)
    })
}

/// Standard base64 with padding (RFC 4648), as CSP hashes are written.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_test_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected, "{input:?}");
        }
    }

    #[test]
    fn the_policy_allows_each_inline_script_by_its_hash_and_nothing_else() {
        // printf %s 'alert(1)' | openssl dgst -sha256 -binary | base64
        let p = policy("<p>x</p><script>alert(1)</script><script src=x></script>");
        assert!(p.contains("script-src 'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI=';"), "{p}");
        let scripts = p.split(';').find(|d| d.trim().starts_with("script-src")).unwrap();
        assert!(!scripts.contains("unsafe"), "{scripts}");
        assert!(p.starts_with("default-src 'none'; connect-src 'self';"), "{p}");
        assert!(policy("<p>no script</p>").contains("script-src 'none';"));
    }

    #[test]
    fn the_dashboard_has_one_inline_script_and_loads_nothing_from_elsewhere() {
        let scripts: Vec<&str> = inline_scripts(PAGE).collect();
        assert_eq!(scripts.len(), 1, "the policy allows the page's scripts by hash; keep them inline");
        assert_eq!(PAGE.matches("<script").count(), 1, "a <script> with attributes would not be hashed");
        // The one absolute URL allowed is the SVG namespace, a name that is never fetched.
        let page = PAGE.replace("\"http://www.w3.org/2000/svg\"", "SVG_NS");
        for outside in ["http://", "https://", "//fonts.", "@import", "url("] {
            assert!(!page.contains(outside), "the page must not load {outside:?} (no CDN, no external font)");
        }
    }

    #[test]
    fn the_dashboard_never_turns_api_text_into_markup_or_code() {
        for sink in [".innerHTML", ".outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"] {
            assert!(!PAGE.contains(sink), "the page uses {sink}: put API strings on screen with textContent");
        }
        // Inline event handlers would need 'unsafe-inline' (or be refused by the policy).
        for attr in [" onclick=", " onload=", " onsubmit=", " onerror=", " onchange="] {
            assert!(!PAGE.contains(attr), "the page has an inline {attr:?} attribute");
        }
    }
}
