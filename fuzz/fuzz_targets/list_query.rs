//! Any Users-page or audit-log query (filters and a paging cursor, as the server functions
//! receive them) that passes validation builds SQL whose text depends only on which filters
//! are set: every typed text and cursor is bound, never spliced in. Search patterns escape
//! LIKE's wildcards.
#![no_main]

use app::audit::model::{AUDIT_PAGE_SIZE, AuditFilters, EventName};
use app::audit::server::events_statement;
use app::ids::TailnetId;
use app::members::model::{RowStatus, UserListQuery, check_search};
use app::members::server::{invite_statement, member_statement};
use app::paging::{Cursor, PageRequest};
use app::roles::Role;
use app::sql::{Statement, contains_pattern};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

fn page(u: &mut Unstructured) -> Result<PageRequest> {
    let cursor = |u: &mut Unstructured| -> Result<Cursor> {
        Ok(Cursor {
            at: u.arbitrary()?,
            key: u.arbitrary()?,
        })
    };
    Ok(match u.int_in_range(0..=2)? {
        0 => PageRequest::First,
        1 => PageRequest::After(cursor(u)?),
        _ => PageRequest::Before(cursor(u)?),
    })
}

/// The same shape with every text replaced: what SQL text may depend on.
fn blank(text: &str) -> String {
    if text.trim().is_empty() {
        String::new()
    } else {
        "x".to_owned()
    }
}

fn blank_page(page: &PageRequest) -> PageRequest {
    let cursor = || Cursor {
        at: 0,
        key: "x".to_owned(),
    };
    match page {
        PageRequest::First => PageRequest::First,
        PageRequest::After(_) => PageRequest::After(cursor()),
        PageRequest::Before(_) => PageRequest::Before(cursor()),
    }
}

/// The placeholders are `$1`, `$2`, … each once and in order, one per bound value.
fn numbered_in_order(statement: &Statement) {
    let sql = statement.sql();
    let numbers: Vec<usize> = sql
        .split('$')
        .skip(1)
        .map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().expect("a placeholder is numbered")
        })
        .collect();
    assert_eq!(
        numbers,
        (1..=statement.bound()).collect::<Vec<_>>(),
        "{sql}"
    );
}

fn same_shape(a: Option<Statement>, b: Option<Statement>) {
    match (a, b) {
        (Some(a), Some(b)) => {
            assert_eq!(a.sql(), b.sql());
            assert_eq!(a.bound(), b.bound());
            numbered_in_order(&a);
        }
        (None, None) => {}
        _ => panic!("one query built and the other did not"),
    }
}

fn users(u: &mut Unstructured) -> Result<()> {
    let query = UserListQuery {
        tailnet: TailnetId::from_raw(String::from(u.arbitrary::<&str>()?)),
        status: if u.arbitrary()? {
            Some(*u.choose(&RowStatus::ALL)?)
        } else {
            None
        },
        role: if u.arbitrary()? {
            Some(*u.choose(&Role::ALL)?)
        } else {
            None
        },
        search: u.arbitrary()?,
        page: page(u)?,
    };
    if check_search(&query.search).is_err() {
        return Ok(());
    }
    let shape = UserListQuery {
        tailnet: TailnetId::from_raw("x"),
        search: blank(&query.search),
        page: blank_page(&query.page),
        ..query.clone()
    };
    let now = u.arbitrary()?;
    same_shape(member_statement(&query, now), member_statement(&shape, 0));
    same_shape(invite_statement(&query, now), invite_statement(&shape, 0));
    Ok(())
}

fn audit(u: &mut Unstructured) -> Result<()> {
    let filters = AuditFilters {
        from: u.arbitrary()?,
        until: u.arbitrary()?,
        actor: u.arbitrary()?,
        event: if u.arbitrary()? {
            Some(*u.choose(&EventName::ALL)?)
        } else {
            None
        },
        target: u.arbitrary()?,
    };
    if filters.validate().is_err() {
        return Ok(());
    }
    let page = page(u)?;
    let shape = AuditFilters {
        from: filters.from.map(|_| 0),
        until: filters.until.map(|_| 1),
        actor: blank(&filters.actor),
        target: blank(&filters.target),
        ..filters.clone()
    };
    let tailnet = TailnetId::from_raw(String::from(u.arbitrary::<&str>()?));
    same_shape(
        Some(events_statement(&tailnet, &filters, &page, AUDIT_PAGE_SIZE)),
        Some(events_statement(
            &TailnetId::from_raw("x"),
            &shape,
            &blank_page(&page),
            AUDIT_PAGE_SIZE,
        )),
    );
    Ok(())
}

fn pattern(u: &mut Unstructured) -> Result<()> {
    let search: &str = u.arbitrary()?;
    let pattern = contains_pattern(search);
    let inner = pattern
        .strip_prefix('%')
        .and_then(|p| p.strip_suffix('%'))
        .expect("wrapped in %");
    let mut unescaped = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => unescaped.push(chars.next().expect("an escape escapes something")),
            '%' | '_' => panic!("unescaped wildcard in {pattern:?}"),
            other => unescaped.push(other),
        }
    }
    assert_eq!(unescaped, search.trim().to_lowercase());
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = match u.int_in_range(0..=2u8) {
        Ok(0) => users(&mut u),
        Ok(1) => audit(&mut u),
        _ => pattern(&mut u),
    };
});
