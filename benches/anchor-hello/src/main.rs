//! cargo-leptos wants a server binary; the anchor is measured for its wasm only.

fn main() {}
