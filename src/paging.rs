//! Going through every page of a paged operation (`describeInstances`) without writing the loop.
//!
//! build.rs gives each paged operation of the spec (a `pageNumber` query parameter, and an answer
//! whose `result` holds a `totalCount` and one list) an `into_pages()` on its builder, and the
//! [`Paged`] impl that [`Pages`] drives.

use crate::{Error, ResponseValue};

/// An operation builder whose answer comes a page at a time (implemented by the generated code).
pub trait Paged: Clone + Send {
    /// The answer to one page.
    type Page;
    /// The builder, asking for page `number` (from 1).
    fn with_page(self, number: u64) -> Self;
    /// Sends it.
    fn send_page(
        self,
    ) -> impl std::future::Future<Output = Result<ResponseValue<Self::Page>, Error>> + Send;
    /// How many items this page holds, and how many match in all (`totalCount`).
    fn counts(page: &Self::Page) -> (u64, u64);
}

/// The pages of a paged operation, one call each, in order: from the builder's `page_number`
/// (else 1) to the page that reaches `totalCount`, or the first page shorter than the first
/// (an empty one included).
///
/// # Example
///
/// ```no_run
/// # async fn demo(client: jdcloud_vm::Client) -> Result<(), jdcloud_vm::Error> {
/// use jdcloud_vm::types::Filter;
///
/// let mut pages = client
///     .describe_instances()
///     .region_id("cn-north-1")
///     .page_size(100)
///     .filters(vec![Filter {
///         name: "status".into(),
///         operator: None,
///         values: vec!["running".into()],
///     }])
///     .into_pages();
/// while let Some(page) = pages.next().await {
///     for instance in &page?.result.instances {
///         println!("{:?}", instance.instance_id);
///     }
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Pages<B> {
    next: Option<B>,
    number: u64,
    /// How many items a full page holds: the first page's count, as the service pages.
    size: Option<u64>,
}

impl<B: Paged> Pages<B> {
    pub(crate) fn new(builder: B, first: u64) -> Pages<B> {
        Pages {
            next: Some(builder),
            number: first,
            size: None,
        }
    }

    /// The next page, or `None` after the last one. An error ends the pages: it is returned
    /// once, then `None`.
    pub async fn next(&mut self) -> Option<Result<ResponseValue<B::Page>, Error>> {
        let builder = self.next.take()?;
        let page = match builder.clone().with_page(self.number).send_page().await {
            Ok(page) => page,
            Err(e) => return Some(Err(e)),
        };
        let (items, total) = B::counts(&page);
        // A page short of the first one's count is the last; so is the one that reaches
        // `totalCount`, counting the pages before the first asked for.
        let size = *self.size.get_or_insert(items);
        if items > 0 && items >= size && self.number.saturating_mul(size) < total {
            self.number += 1;
            self.next = Some(builder);
        }
        Some(Ok(page))
    }
}
