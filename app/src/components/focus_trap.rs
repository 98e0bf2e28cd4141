//! Keeping keyboard focus inside a modal dialog: Tab past the last control returns to the
//! first, Shift+Tab before the first goes to the last.

use leptos::ev::KeyboardEvent;

/// What Tab can reach inside a dialog.
const FOCUSABLE: &str = "button, [href], input, select, textarea, [tabindex]:not([tabindex='-1'])";

/// Call from the dialog's `keydown` handler with the dialog element.
pub fn keep_tab_inside(event: &KeyboardEvent, dialog: Option<leptos::web_sys::HtmlElement>) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        use leptos::web_sys::HtmlElement;
        if event.key() != "Tab" {
            return;
        }
        let Some(dialog) = dialog else { return };
        let Ok(nodes) = dialog.query_selector_all(FOCUSABLE) else {
            return;
        };
        // Only what is shown and enabled takes focus (hidden tab panels do not).
        let controls: Vec<HtmlElement> = (0..nodes.length())
            .filter_map(|i| nodes.item(i))
            .filter_map(|node| node.dyn_into::<HtmlElement>().ok())
            .filter(|element| element.offset_parent().is_some() && element.tab_index() >= 0)
            .collect();
        let (Some(first), Some(last)) = (controls.first(), controls.last()) else {
            return;
        };
        let active = leptos::prelude::document().active_element();
        let on = |element: &HtmlElement| {
            active
                .as_ref()
                .is_some_and(|a| a == element.unchecked_ref::<leptos::web_sys::Element>())
        };
        let inside = active
            .as_ref()
            .is_some_and(|a| dialog.contains(Some(a.unchecked_ref())));
        if event.shift_key() && (on(first) || !inside) {
            event.prevent_default();
            let _ = last.focus();
        } else if !event.shift_key() && (on(last) || !inside) {
            event.prevent_default();
            let _ = first.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (event, dialog, FOCUSABLE);
}
