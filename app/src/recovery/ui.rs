//! The recovery page (`/recover/:token`) and the Users page's "Recovery link" dialog.
