//! Resources of a server function's answer. The server renders the answer into the page as
//! JSON; the browser reads it back there, and again from the server function whenever the
//! resource reloads. Leptos's default reads the page's copy with `serde_json::from_str` and the
//! server function's with `serde_json::from_slice`, compiling two JSON decoders of every type
//! into the wasm; [`server_resource`] reads both with `from_slice`, so each type has one.

use codee::{Decoder, Encoder};
use leptos::prelude::Resource;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// JSON read as bytes, as a server function's answer is.
pub struct JsonAsBytes;

impl<T: Serialize> Encoder<T> for JsonAsBytes {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, serde_json::Error> {
        serde_json::to_string(value)
    }
}

impl<T: DeserializeOwned> Decoder<T> for JsonAsBytes {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(json: &str) -> Result<T, serde_json::Error> {
        serde_json::from_slice(json.as_bytes())
    }
}

/// A resource made by [`server_resource`].
pub type ServerResource<T> = Resource<T, JsonAsBytes>;

/// A resource of `fetcher`'s answer for each value of `source` (Leptos's `Resource::new`,
/// decoded as described above).
#[track_caller]
pub fn server_resource<S, T, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> ServerResource<T>
where
    S: Send + Sync + Clone + PartialEq + 'static,
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_server_writes_the_browser_reads_back() {
        let answer: Result<Option<Vec<String>>, String> = Ok(Some(vec!["Ada \"A\" ✓".to_owned()]));
        let json = <JsonAsBytes as Encoder<_>>::encode(&answer).expect("encode");
        let read: Result<Option<Vec<String>>, String> =
            <JsonAsBytes as Decoder<_>>::decode(&json).expect("decode");
        assert_eq!(read, answer);
    }
}
